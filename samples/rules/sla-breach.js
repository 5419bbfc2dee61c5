// When a case misses its first-response target, it becomes urgent and its queue's team gets a task.
export default {
  on: "case.slaBreached",
  when: e => e.payload.target === "firstResponse",
  then: (e, act) => {
    act.set({ priority: "urgent" });
    act.addTag("sla-breached");
    act.createTask({ title: `First response overdue: ${e.after.subject}`, priority: "urgent" });
  },
};
