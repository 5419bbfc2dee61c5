using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Rules;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Benchmarks;

/// <summary>
/// (i) Event → action latency of react rules under load: contacts are created as fast as <c>inFlight</c> callers
/// can, and a react rule tags each one. The latency of one contact is the time between the <c>record.created</c>
/// event and the rule's <c>record.updated</c> event (both stamped by the engine), so it covers the log subscription,
/// the decision, the outbox row and the write. The same rule runs as JavaScript and as compiled C#, each on a fresh engine.
/// </summary>
internal static class RuleLatencyBenchmark
{
    public sealed record Phase(string Rule, string Load, int Contacts, double EffectsPerSecond, double P50Ms, double P99Ms, double MaxMs);

    private const string JavaScriptRule = """
        export default {
          on: "contact.created",
          when: e => e.after.email !== undefined,
          then: (e, act) => act.addTag("seen"),
        };
        """;

    private sealed class TagNewContacts : CrmRule
    {
        public override string Id => "tag-new";
        public override string On => "contact.created";
        public override bool When(RuleEvent e) => e.After["email"] is not null;
        public override void Then(RuleEvent e, IRuleActions act) => act.AddTag("seen");
    }

    /// <summary>
    /// Each side runs twice on its engine: paced at <paramref name="pacedRate"/> creates per second (a steady load
    /// the pipeline keeps up with: the latency of one reaction), then as fast as <paramref name="inFlight"/> callers go
    /// (saturated: throughput of reactions, and the latency a backlog adds).
    /// </summary>
    public static async Task<IReadOnlyList<Phase>> RunAsync(IReadOnlyList<ContactInput> contacts, int inFlight, int pacedRate)
    {
        var phases = new List<Phase>();
        foreach (var javaScript in new[] { true, false })
        {
            using var directory = new TempDataDirectory("rules-latency");
            await using var crm = await CrmTestEngine.StartAsync(directory.Path,
                services: javaScript ? null : services => services.AddCrmRule<TagNewContacts>());
            if (javaScript) await crm.Client.Rules.CreateAsync(new RuleDraft { Id = "tag-new", Source = JavaScriptRule });
            var half = contacts.Count / 2;
            var name = javaScript ? "JavaScript" : "C#";
            phases.Add(await MeasureAsync(crm.Client, contacts.Take(half).ToList(), inFlight, pacedRate, name, $"{pacedRate:N0} creates/s"));
            phases.Add(await MeasureAsync(crm.Client, contacts.Skip(half).ToList(), inFlight, null, name, $"{inFlight} callers, flat out"));
        }

        return phases;
    }

    private static async Task<Phase> MeasureAsync(ICrmClient crm, IReadOnlyList<ContactInput> contacts, int inFlight, int? rate, string rule, string load)
    {
        var ids = new string[contacts.Count];
        var next = -1;
        var started = DateTimeOffset.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < contacts.Count; i = Interlocked.Increment(ref next))
            {
                if (rate is { } perSecond)
                {
                    var due = TimeSpan.FromSeconds((double)i / perSecond);
                    if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
                }

                ids[i] = (await crm.CreateAsync(RecordTypes.Contact, contacts[i].ToFields())).Id;
            }
        }));

        var latencies = new double[ids.Length];
        var lastEffect = started;
        for (var i = 0; i < ids.Length; i++)
        {
            for (var attempt = 0; ; attempt++)
            {
                var history = (await crm.GetHistoryAsync(RecordTypes.Contact, ids[i])).Items;
                var effect = history.FirstOrDefault(e => e.Type == "record.updated" && e.Actor.Kind == ActorKind.Rule);
                if (effect is not null)
                {
                    latencies[i] = (effect.Time - history[0].Time).TotalMilliseconds;
                    if (effect.Time > lastEffect) lastEffect = effect.Time;
                    break;
                }

                if (attempt > 6_000) throw new TimeoutException($"The rule never tagged contact {ids[i]}.");
                await Task.Delay(10);
            }
        }

        Array.Sort(latencies);
        return new Phase(rule, load, ids.Length, ids.Length / (lastEffect - started).TotalSeconds,
            MachineCpu.Percentile(latencies, 0.50), MachineCpu.Percentile(latencies, 0.99), latencies[^1]);
    }
}
