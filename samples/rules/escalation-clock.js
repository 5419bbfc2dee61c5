// Every new case gets a durable timer four hours after it opens; resolving it stops the clock (escalation-stop.js).
export default {
  on: "case.created",
  then: (e, act) => act.setTimer("escalate", { hours: 4 }, { level: 1 }),
};
