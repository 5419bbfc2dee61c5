// A lead whose score reaches 50 becomes a marketing-qualified lead.
export default {
  name: "MQL at 50 points",
  on: "contact.scoreChanged",
  when: e => e.payload.previous < 50 && e.payload.score >= 50 && e.after.lifecycleStage === "lead",
  then: (e, act) => act.set({ lifecycleStage: "mql" }),
};
