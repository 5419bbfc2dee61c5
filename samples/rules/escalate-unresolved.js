// "If the case is still unresolved 4 h after opening, escalate."
export default {
  on: "case.timerFired",
  when: e => e.payload.name === "escalate" && !["resolved", "closed"].includes(e.after.status),
  then: (e, act) => {
    act.set({ priority: "urgent" });
    act.addTag("escalated");
  },
};
