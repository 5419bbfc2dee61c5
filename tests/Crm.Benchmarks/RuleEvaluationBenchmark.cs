using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Rules.JavaScript;

namespace Crm.Benchmarks;

/// <summary>
/// (h) One thread evaluating a ten-rule lead-scoring set on <c>contact.updated</c> events. One evaluation is one rule's
/// <c>when</c> and, when it holds, its <c>then</c>, including turning the event into the rule's input and the recorded
/// actions into <see cref="RuleAction"/>s. JavaScript: compiled once, evaluated by <see cref="JavaScriptRuleRuntime"/> on
/// warm pooled engines of one tenant with every limit on and the realm frozen. Beside it, in the same run, the same ten
/// rules as <see cref="ICrmRule"/> classes through <see cref="CompiledRuleRunner"/>. Evaluations per second on one thread
/// are evaluations per second per core.
/// </summary>
internal static class RuleEvaluationBenchmark
{
    public sealed record Result(Measurement JavaScript, Measurement CSharp, double MatchedShare, TimeSpan SandboxCreation, int Rules);

    public static Result Run(IReadOnlyList<ContactInput> contacts, int evaluations, int warmUp)
    {
        var events = contacts.Select(Event).ToArray();
        var limits = new JavaScriptLimits();
        var compiler = new JavaScriptRuleCompiler();
        var js = LeadScoring.JavaScript.Select(source => compiler.Compile(source, limits)).ToArray();
        var cs = LeadScoring.CSharp;
        var runtime = new JavaScriptRuleRuntime();

        var matched = CheckSameOutcomes(runtime, js, cs, events, limits);

        for (var i = 0; i < warmUp; i++) runtime.Evaluate(js[i % js.Length], events[i / js.Length % events.Length], limits);
        var probe = Measurement.Start();
        for (var i = 0; i < evaluations; i++) runtime.Evaluate(js[i % js.Length], events[i / js.Length % events.Length], limits);
        var javaScript = probe.Stop(evaluations);

        for (var i = 0; i < warmUp; i++) CompiledRuleRunner.Evaluate(cs[i % cs.Length], events[i / cs.Length % events.Length]);
        probe = Measurement.Start();
        for (var i = 0; i < evaluations; i++) CompiledRuleRunner.Evaluate(cs[i % cs.Length], events[i / cs.Length % events.Length]);
        var csharp = probe.Stop(evaluations);

        return new Result(javaScript, csharp, matched, SandboxCreation(limits), js.Length);
    }

    /// <summary>
    /// Runs both sets over the events once and fails the run if a JavaScript rule and its C# twin disagree anywhere:
    /// the two sides must do the same work. Returns the share of evaluations whose condition held.
    /// </summary>
    private static double CheckSameOutcomes(JavaScriptRuleRuntime runtime, JavaScriptRule[] js, ICrmRule[] cs, RuleEvent[] events, JavaScriptLimits limits)
    {
        var matched = 0;
        foreach (var e in events)
        {
            for (var r = 0; r < js.Length; r++)
            {
                var a = runtime.Evaluate(js[r], e, limits);
                var b = CompiledRuleRunner.Evaluate(cs[r], e);
                if (a.Matched != b.Matched || !a.Actions.SequenceEqual(b.Actions))
                {
                    throw new InvalidOperationException($"(h) rule {cs[r].Id} differs on {e.After.ToJsonString()}: JavaScript " +
                        $"{a.Matched} [{string.Join(", ", a.Actions)}], C# {b.Matched} [{string.Join(", ", b.Actions)}]");
                }

                if (a.Matched) matched++;
            }
        }

        return matched / (double)(events.Length * js.Length);
    }

    /// <summary>What a cold tenant's first evaluation pays on top: building an engine and freezing its realm.</summary>
    private static TimeSpan SandboxCreation(JavaScriptLimits limits)
    {
        const int count = 20;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++) _ = new JavaScriptSandbox(limits.Values, "bench");
        return clock.Elapsed / count;
    }

    /// <summary>A contact's update as rules see it: the generated fields plus the ones lead scoring reads.</summary>
    private static RuleEvent Event(ContactInput contact, int index)
    {
        var after = contact.ToFields();
        if (index % 5 == 0) after["email"] = ((string)after["email"]!).Split('@')[0] + "@" + FreeMail[index % FreeMail.Length];
        if (index % 7 == 0) after["source"] = "webinar";
        if (index % 3 == 0) after["tags"]!.AsArray().Add("pricing");
        after["employees"] = index * 37 % 1_000;
        after["country"] = Countries[index % Countries.Length];
        after["lifecycleStage"] = index % 4 == 0 ? "mql" : "lead";
        var before = after.DeepClone().AsObject();
        before["lifecycleStage"] = "subscriber";
        return new RuleEvent
        {
            Trigger = "contact.updated",
            Tenant = "bench",
            RecordType = "contact",
            RecordId = "c" + index.ToString(CultureInfo.InvariantCulture),
            EventId = Guid.CreateVersion7(),
            Time = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(index),
            Actor = "user:u1",
            Before = before,
            After = after,
            Changes = new JsonObject { ["lifecycleStage"] = new JsonObject { ["from"] = "subscriber", ["to"] = after["lifecycleStage"]!.DeepClone() } },
        };
    }

    private static readonly string[] FreeMail = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];

    private static readonly string[] Countries = ["US", "DE", "FR", "GB", "IN", "CA", "BR", "JP"];
}
