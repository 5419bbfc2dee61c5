// New cases whose subject starts with "Support:" go round-robin to the members of the "support" queue.
export default {
  on: "case.created",
  when: e => (e.after.subject ?? "").startsWith("Support:"),
  then: (e, act) => act.assign({ queue: "support" }),
};
