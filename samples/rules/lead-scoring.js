// Lead score from what we know about a contact. An enrich rule re-states its points each time a contact is saved,
// so a criterion that stops holding stops counting.
const freeMail = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];

export default {
  name: "Lead scoring",
  on: "contact.saved",
  stage: "enrich",
  then: (e, act) => {
    const c = e.after;
    if (/\b(VP|Chief|Head)\b/.test(c.title ?? "")) act.score(20, "Senior title");
    const domain = (c.email ?? "").split("@")[1];
    if (domain && !freeMail.includes(domain)) act.score(10, "Business email");
    if (c.source === "webinar") act.score(15, "Came from a webinar");
    if ((c.tags ?? []).includes("pricing")) act.score(25, "Looked at pricing");
  },
};
