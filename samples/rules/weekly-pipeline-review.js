// Every Monday at 09:00 (tenant time zone) a task reminds the team to review the pipeline.
export default {
  on: "schedule",
  cron: "0 9 * * 1",
  then: (e, act) => act.createTask({ title: "Weekly pipeline review", due: e.time }),
};
