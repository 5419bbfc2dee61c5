// A deal worth more than 10,000 that reaches "proposal" gets a high-priority follow-up task, linked to the deal.
export default {
  name: "Follow up big deals",
  on: "deal.stageChanged",
  when: e => e.payload.to === "proposal" && e.after.amount > 10000,
  then: (e, act) => act.createTask({ title: `Call about ${e.after.name}`, priority: "high" }),
};
