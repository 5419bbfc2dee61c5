// Deals above 1,000,000 need a contract review first: the change is refused with a message the caller sees.
export default {
  on: "deal.saved",
  stage: "validate",
  when: e => e.after.amount > 1000000,
  then: (e, act) => act.reject("Deals above 1,000,000 need a contract review first", "amount"),
};
