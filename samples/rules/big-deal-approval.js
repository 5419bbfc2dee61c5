// Moving a deal above 50,000 into negotiation waits for a manager's approval.
export default {
  on: "deal.stageChanged",
  stage: "enrich",
  when: e => e.payload.to === "negotiation" && e.after.amount > 50000,
  then: (e, act) => act.requireApproval("Deals above 50,000 need a manager's approval to negotiate"),
};
