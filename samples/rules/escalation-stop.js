// A resolved or closed case needs no escalation: the timer is cancelled in the same append as the status change.
export default {
  on: "case.statusChanged",
  stage: "enrich",
  when: e => e.payload.to === "resolved" || e.payload.to === "closed",
  then: (e, act) => act.cancelTimer("escalate"),
};
