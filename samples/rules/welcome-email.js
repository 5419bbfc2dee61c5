// Tagging a contact "welcome" sends a welcome email, if the contact agreed to the newsletter by email.
export default {
  on: "contact.updated",
  fields: ["tags"],
  when: e => (e.after.tags ?? []).includes("welcome") && !(e.before?.tags ?? []).includes("welcome"),
  then: (e, act) => act.send({
    channel: "email",
    purpose: "newsletter",
    subject: `Welcome, ${e.after.firstName}`,
    body: "Glad to have you with us.",
  }),
};
