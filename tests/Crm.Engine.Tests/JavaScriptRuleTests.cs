using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Rules.JavaScript;

namespace Crm.Engine.Tests;

/// <summary>
/// JavaScript rule modules: what they declare, the errors an author sees for a malformed one, and the actions
/// <c>act</c> records, which are the ones a C# rule records for the same calls.
/// </summary>
public sealed class JavaScriptRuleTests
{
    private readonly RuleHarness _rules = new();

    [Fact]
    public void A_module_declares_its_trigger_stage_fields_priority_and_names()
    {
        var rule = _rules.Compiler.Compile("""
            // Big deals get a call.
            const threshold = 10000;
            export default {
              on: "deal.updated",
              stage: "enrich",
              fields: ["amount", "stage"],
              priority: 5,
              name: "Big deal",
              description: "Deals over 10k get a call",
              when: e => e.after.amount > threshold,
              then: (e, act) => act.createTask({ title: "Call " + e.after.name }),
            };
            """, _rules.Limits);

        Assert.Equal("deal.updated", rule.On);
        Assert.Equal(RuleStage.Enrich, rule.Stage);
        Assert.Equal(["amount", "stage"], rule.Fields);
        Assert.Equal(5, rule.Priority);
        Assert.Equal("Big deal", rule.Name);
        Assert.Equal("Deals over 10k get a call", rule.Description);
        Assert.Null(rule.Cron);
    }

    [Fact]
    public void Undeclared_metadata_takes_its_defaults_and_a_schedule_rule_has_a_cron()
    {
        var plain = _rules.Compiler.Compile(RuleEvents.Module("(e, act) => {}"), _rules.Limits);
        var scheduled = _rules.Compiler.Compile("""export default { on: "schedule", cron: "0 9 * * 1-5", then: (e, act) => {} };""", _rules.Limits);

        Assert.Equal((RuleStage.React, 100, 0, null, null), (plain.Stage, plain.Priority, plain.Fields.Count, plain.Name, plain.Description));
        Assert.Equal("0 9 * * 1-5", scheduled.Cron);
    }

    [Theory]
    [InlineData("export default { then: (e, act) => {} };", "on must name the trigger", "1:16")]
    [InlineData("const rule = { on: 'contact.updated', then: () => {} };", "must export default", "1:1")]
    [InlineData("import x from './other.js';\nexport default { on: 'contact.updated', then: () => {} };", "cannot import", "1:1")]
    [InlineData("export default { on: 'contact.updated', then: () => import('./x.js') };", "cannot import", "1:53")]
    [InlineData("export const helper = 1;\nexport default { on: 'contact.updated', then: () => {} };", "exports only its default", "1:1")]
    [InlineData("export default {\n  on: 'contact.updated',\n  then: 42,\n};", "then must be a function", "3:3")]
    [InlineData("export default {\n  on: 'contact.updated',\n  when: true,\n  then: () => {},\n};", "when must be a function", "3:3")]
    [InlineData("export default {\n  on: 'contact.updated',\n  stage: 'later',\n  then: () => {},\n};", "stage must be", "3:3")]
    [InlineData("export default { on: 'contact.updated', thne: () => {} };", "unknown property 'thne'", "1:41")]
    [InlineData("export default { on: 'contact.updated', cron: '* * * * *', then: () => {} };", "cron applies only to", "1:41")]
    [InlineData("export default { on: 'schedule', then: () => {} };", "needs a cron expression", "1:18")]
    [InlineData("export default function () {}", "must be an object", "1:1")]
    [InlineData("export default 42;", "is not an object", null)]
    [InlineData("const a = 1;\n\nexport default { on: 'contact.updated', then: (e, act) => { act.addTag( };", "Unexpected token", "3:73")]
    [InlineData("const a = 1;\nthrow new Error('not ready');\nexport default { on: 'contact.updated', then: () => {} };", "not ready", "2:7")]
    public void A_malformed_module_is_refused_naming_the_problem_and_where(string source, string problem, string? at)
    {
        var refused = Assert.Throws<ValidationException>(() => _rules.Compiler.Compile(source, _rules.Limits));

        var error = Assert.Single(refused.Errors);
        Assert.Equal("source", error.Field);
        Assert.Contains(problem, error.Message);
        if (at is not null) Assert.Contains($"({at})", error.Message);
    }

    [Fact]
    public void A_module_longer_than_the_limit_is_refused_before_parsing()
    {
        var refused = Assert.Throws<ValidationException>(() =>
            _rules.Compiler.Compile(RuleEvents.Module("() => {}", top: "// " + new string('x', 100)), new JavaScriptLimits { MaxScriptLength = 100 }));

        Assert.Equal("source", Assert.Single(refused.Errors).Field);
    }

    [Fact]
    public void The_same_source_compiles_once()
    {
        var source = RuleEvents.Module("(e, act) => act.addTag('x')");

        Assert.Same(_rules.Compiler.Compile(source, _rules.Limits), _rules.Compiler.Compile(source, _rules.Limits));
    }

    [Fact]
    public void Code_after_the_export_runs_before_the_rule_is_used()
    {
        var outcome = _rules.Run("""
            export default { on: "contact.updated", then: (e, act) => act.addTag(prefix + suffix()) };
            const prefix = "after-";
            function suffix() { return "export"; }
            """);

        Assert.Equal("""{"tag":"after-export"}""", Assert.Single(outcome.Actions).ArgsJson);
    }

    [Fact]
    public void A_rule_whose_condition_is_false_matches_nothing_and_records_nothing()
    {
        var outcome = _rules.Run(RuleEvents.Module("(e, act) => act.addTag('big')", when: "e => e.after.amount > 100000"));

        Assert.False(outcome.Matched);
        Assert.Empty(outcome.Actions);
    }

    [Fact]
    public void A_rule_without_a_condition_always_matches()
    {
        var outcome = _rules.Run(RuleEvents.Module("(e, act) => {}"));

        Assert.True(outcome.Matched);
        Assert.Empty(outcome.Actions);
    }

    [Fact]
    public void The_event_carries_the_record_its_fields_and_the_trigger()
    {
        var e = RuleEvents.Contact(after: """{"name":"Ada","tags":["vip"],"custom":{"tier":2}}""", before: """{"name":"Ad"}""",
            changes: """{"name":{"from":"Ad","to":"Ada"}}""", payload: """{"source":"import"}""");

        var fields = _rules.OneAction("""
            (e, act) => act.set({
              trigger: e.trigger, tenant: e.tenant, record: e.record, eventId: e.eventId, time: e.time, actor: e.actor,
              was: e.before.name, is: e.after.name, tier: e.after.custom.tier, vip: e.after.tags.includes("vip"),
              change: e.changes.name.to, source: e.payload.source, depth: e.depth,
              plain: Object.getPrototypeOf(e.after) === Object.prototype && Array.isArray(e.after.tags),
            })
            """, RuleActionKinds.Set, e)["fields"]!;

        Assert.Equal(
            """{"trigger":"contact.updated","tenant":"acme","record":{"type":"contact","id":"c1"},"eventId":"0195b1c2-3d4e-7f00-8a9b-0c1d2e3f4a5b","time":"2025-03-14T09:26:53.589Z","actor":"user:u1","was":"Ad","is":"Ada","tier":2,"vip":true,"change":"Ada","source":"import","depth":0,"plain":true}""",
            fields.ToJsonString());
    }

    [Fact]
    public void A_created_record_has_no_before()
    {
        var fields = _rules.OneAction("(e, act) => act.set({ created: e.before === null })", RuleActionKinds.Set);

        Assert.Equal("""{"created":true}""", fields["fields"]!.ToJsonString());
    }

    [Fact]
    public void A_rule_sees_the_event_time_as_now()
    {
        var fields = _rules.OneAction(
            "(e, act) => act.set({ now: Date.now() === Date.parse(e.time), date: new Date().toISOString() === e.time, year: new Date().getFullYear(), " +
            "temporal: Temporal.Now.instant().toString() === e.time })",
            RuleActionKinds.Set)["fields"]!;

        Assert.Equal("""{"now":true,"date":true,"year":2025,"temporal":true}""", fields.ToJsonString());
    }

    [Fact]
    public void Module_variables_start_fresh_every_evaluation()
    {
        var module = RuleEvents.Module("(e, act) => { calls++; act.score(calls, 'calls'); }", top: "let calls = 0;");

        var first = Assert.Single(_rules.Run(module).Actions);
        var second = Assert.Single(_rules.Run(module).Actions);

        Assert.Equal("""{"points":1,"reason":"calls"}""", first.ArgsJson);
        Assert.Equal(first, second);
    }

    [Fact]
    public void An_async_condition_is_refused_rather_than_taken_as_true()
    {
        var refused = Assert.Throws<RuleScriptException>(() => _rules.Run(RuleEvents.Module("(e, act) => act.addTag('x')", when: "async e => false")));

        Assert.Contains("when returned a promise", refused.Message);
    }

    [Fact]
    public void An_async_then_records_its_actions_before_the_evaluation_ends()
    {
        var outcome = _rules.Run(RuleEvents.Module("async (e, act) => { await null; act.addTag('later'); }"));

        Assert.Equal("""{"tag":"later"}""", Assert.Single(outcome.Actions).ArgsJson);
    }

    public static TheoryData<string, Action<IRuleActions>> ActCalls => new()
    {
        { "act.reject('Amount is required', 'amount')", a => a.Reject("Amount is required", "amount") },
        { "act.reject('No')", a => a.Reject("No") },
        { "act.set({ stage: 'won', custom: { tier: 2 }, tags: ['a'], missing: undefined, when: new Date(0) })",
            a => a.Set(Json.Obj("""{"stage":"won","custom":{"tier":2},"tags":["a"],"when":"1970-01-01T00:00:00.000Z"}""")) },
        { "act.addTag('vip')", a => a.AddTag("vip") },
        { "act.removeTag('cold')", a => a.RemoveTag("cold") },
        { "act.score(20, 'VP title')", a => a.Score(20, "VP title") },
        { "act.score(-5, 'free mail')", a => a.Score(-5, "free mail") },
        { "act.requireApproval('Discount over 20%')", a => a.RequireApproval("Discount over 20%") },
        { "act.assign({ user: 'u1' })", a => a.AssignToUser("u1") },
        { "act.assign({ queue: 'q1' })", a => a.AssignRoundRobin("queue", "q1") },
        { "act.assign({ team: 't1' })", a => a.AssignRoundRobin("team", "t1") },
        { "act.createTask({ title: 'Call Ada', due: 3 })", a => a.CreateTask(Json.Obj("""{"title":"Call Ada","due":3}""")) },
        { "act.createRecord('deal', { name: 'Ada', amount: 1.5 })", a => a.CreateRecord("deal", Json.Obj("""{"name":"Ada","amount":1.5}""")) },
        { "act.updateRecord('company', 'co1', { status: 'customer' })", a => a.UpdateRecord("company", "co1", Json.Obj("""{"status":"customer"}""")) },
        { "act.send({ channel: 'email', purpose: 'marketing', subject: 'Hi', body: 'Hello Ada' })",
            a => a.Send(Json.Obj("""{"channel":"email","purpose":"marketing","subject":"Hi","body":"Hello Ada"}""")) },
        { "act.webhook('https://example.com/hook', { id: e.record.id })", a => a.Webhook("https://example.com/hook", Json.Obj("""{"id":"c1"}""")) },
        { "act.webhook('https://example.com/hook')", a => a.Webhook("https://example.com/hook") },
        { "act.setTimer('follow-up', { hours: 2 }, { step: 1 })", a => a.SetTimer("follow-up", RuleEvents.Time.AddHours(2), Json.Obj("""{"step":1}""")) },
        { "act.setTimer('follow-up', { days: 3 })", a => a.SetTimer("follow-up", RuleEvents.Time.AddDays(3)) },
        { "act.setTimer('follow-up', { minutes: 90 })", a => a.SetTimer("follow-up", RuleEvents.Time.AddMinutes(90)) },
        { "act.setTimer('renewal', '2026-01-01T09:00:00Z')", a => a.SetTimer("renewal", new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero)) },
        { "act.setTimer('renewal', '2026-01-01T09:00:00+02:00')", a => a.SetTimer("renewal", new DateTimeOffset(2026, 1, 1, 7, 0, 0, TimeSpan.Zero)) },
        { "act.setTimer('renewal', '2026-01-01T09:00:00.250Z')", a => a.SetTimer("renewal", new DateTimeOffset(2026, 1, 1, 9, 0, 0, 250, TimeSpan.Zero)) },
        { "act.setTimer('renewal', '2026-01-01')", a => a.SetTimer("renewal", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) },
        { "act.setTimer('tomorrow', new Date(Date.now() + 86400000))", a => a.SetTimer("tomorrow", RuleEvents.Time.AddDays(1)) },
        { "act.cancelTimer('follow-up')", a => a.CancelTimer("follow-up") },
    };

    [Theory]
    [MemberData(nameof(ActCalls))]
    public void Each_act_method_records_the_action_a_csharp_rule_records_for_the_same_call(string call, Action<IRuleActions> same)
    {
        var expected = new RuleActionRecorder();
        same(expected);

        var outcome = _rules.Run(RuleEvents.Module($"(e, act) => {{ {call}; }}"));

        Assert.Equal(expected.Actions, outcome.Actions);
    }

    [Fact]
    public void Actions_carry_the_documented_argument_shapes()
    {
        var outcome = _rules.Run(RuleEvents.Module("""
            (e, act) => {
              act.assign({ user: "u1" });
              act.assign({ queue: "q1" });
              act.setTimer("follow-up", { hours: 2 });
              act.createRecord("deal", { name: "Ada" });
              act.updateRecord("deal", "d1", { stage: "won" });
              act.score(20, "VP title");
            }
            """));

        Assert.Equal(
            [
                """{"userId":"u1"}""", """{"queue":"q1"}""", """{"name":"follow-up","dueAt":"2025-03-14T11:26:53.5890000Z"}""",
                """{"type":"deal","fields":{"name":"Ada"}}""", """{"type":"deal","id":"d1","fields":{"stage":"won"}}""",
                """{"points":20,"reason":"VP title"}""",
            ],
            outcome.Actions.Select(a => a.ArgsJson));
    }

    [Theory]
    [InlineData("act.addTag('')", "addTag: the tag must be a non-empty string")]
    [InlineData("act.addTag(42)", "addTag: the tag must be a non-empty string")]
    [InlineData("act.score(2.5, 'half')", "score: points must be a whole number")]
    [InlineData("act.score(2000000, 'lots')", "score: points must be a whole number")]
    [InlineData("act.score(Infinity, 'lots')", "score: points must be a whole number")]
    [InlineData("act.score(10)", "score: reason must be a non-empty string")]
    [InlineData("act.requireApproval()", "requireApproval: reason must be a non-empty string")]
    [InlineData("act.assign({ group: 'g1' })", "assign: pass exactly one of")]
    [InlineData("act.assign({ user: 'u1', team: 't1' })", "assign: pass exactly one of")]
    [InlineData("act.set({})", "set: fields must name at least one field")]
    [InlineData("act.set('stage=won')", "set: fields must be an object")]
    [InlineData("act.createRecord('deal', [1])", "createRecord: fields must be an object")]
    [InlineData("const o = {}; o.self = o; act.set(o)", "cycle")]
    [InlineData("act.set({ big: 10n })", "BigInt")]
    [InlineData("act.send({ channel: 'email', body: 'Hi' })", "send: the message needs a 'purpose'")]
    [InlineData("act.webhook('ftp://example.com')", "webhook: url must be an absolute http or https URL")]
    [InlineData("act.setTimer('t', 'next week')", "setTimer: at must be an ISO 8601 time")]
    [InlineData("act.setTimer('t', '03/04/2026')", "setTimer: at must be an ISO 8601 time")]
    [InlineData("act.setTimer('t', { weeks: 1 })", "setTimer: at must be an ISO 8601 time")]
    [InlineData("act.setTimer('', { hours: 1 })", "setTimer: the timer name must be a non-empty string")]
    [InlineData("act.reject('No', 7)", "reject: field must be a string")]
    [InlineData("act.createTask({ notes: 'x'.repeat(70000) })", "createTask: the arguments are 70,023 characters of JSON")]
    public void An_act_call_with_bad_arguments_fails_the_rule_with_a_clear_message(string call, string message)
    {
        var failed = Assert.Throws<RuleScriptException>(() => _rules.Run(RuleEvents.Module($"(e, act) => {{ {call}; }}")));

        Assert.Contains(message, failed.Message);
        Assert.Equal("rule_error", failed.Code);
    }

    [Fact]
    public void A_bad_act_call_fails_the_rule_even_when_the_script_catches_the_error()
    {
        var failed = Assert.Throws<RuleScriptException>(() =>
            _rules.Run(RuleEvents.Module("(e, act) => { try { act.addTag(''); } catch { } act.addTag('fine'); }")));

        Assert.Contains("addTag: the tag must be", failed.Message);
    }

    [Fact]
    public void More_than_a_hundred_actions_is_a_limit()
    {
        var stopped = Assert.Throws<RuleLimitExceededException>(() =>
            _rules.Run(RuleEvents.Module("(e, act) => { for (let i = 0; i < 101; i++) act.addTag('t' + i); }")));

        Assert.Equal("actions", stopped.Limit);
        Assert.Equal(100, _rules.Run(RuleEvents.Module("(e, act) => { for (let i = 0; i < 100; i++) act.addTag('t' + i); }")).Actions.Count);
    }

    [Fact]
    public void The_csharp_recorder_refuses_the_same_bad_arguments()
    {
        var act = new RuleActionRecorder();

        Assert.Contains("addTag: the tag must be", Assert.Throws<RuleScriptException>(() => act.AddTag(" ")).Message);
        Assert.Contains("score: points must be", Assert.Throws<RuleScriptException>(() => act.Score(1_000_001, "x")).Message);
        Assert.Contains("score: reason must be", Assert.Throws<RuleScriptException>(() => act.Score(1, "")).Message);
        Assert.Contains("assign: round-robin assignment is among a 'queue' or a 'team'", Assert.Throws<RuleScriptException>(() => act.AssignRoundRobin("group", "g1")).Message);
        Assert.Contains("requireApproval: reason must be", Assert.Throws<RuleScriptException>(() => act.RequireApproval(null!)).Message);
        Assert.Empty(act.Actions);
    }

    [Fact]
    public void A_compiled_rule_runs_when_then_then_and_its_exceptions_become_rule_errors()
    {
        var matched = CompiledRuleRunner.Evaluate(new BigDealRule(), RuleEvents.Contact());
        var skipped = CompiledRuleRunner.Evaluate(new BigDealRule(), RuleEvents.Contact(after: """{"amount":5}"""));
        var threw = Assert.Throws<RuleScriptException>(() => CompiledRuleRunner.Evaluate(new BigDealRule(), RuleEvents.Contact(after: """{"amount":"lots"}""")));

        Assert.Equal([RuleAction.Of(RuleActionKinds.AddTag, new JsonObject { ["tag"] = "big" })], matched.Actions);
        Assert.Equal(RuleOutcome.NotMatched, skipped);
        Assert.StartsWith("The rule threw", threw.Message);
    }

    private sealed class BigDealRule : CrmRule
    {
        public override string Id => "big-deal";

        public override string On => "deal.updated";

        public override bool When(RuleEvent e) => (double)e.After["amount"]! > 10_000;

        public override void Then(RuleEvent e, IRuleActions act) => act.AddTag("big");
    }
}
