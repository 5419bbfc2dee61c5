using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Rules.JavaScript;

namespace Crm.Engine.Testing;

/// <summary>What a rule did with one event: whether <c>when</c> held, and the actions <c>then</c> took.</summary>
public sealed record RuleTestResult(RuleDefinition Rule, bool Matched, IReadOnlyList<RuleAction> Actions)
{
    /// <summary>The arguments of the one action of <paramref name="kind"/>; throws when there is not exactly one.</summary>
    public JsonObject Action(string kind) => Actions.Single(a => a.Kind == kind).Args();
}

/// <summary>
/// Evaluates a rule on an event with no engine running: the quickest way to unit-test a rule's logic. The rule runs
/// in the same sandbox, with the same checks and limits, as in the engine; nothing is written anywhere. For a rule's
/// effect on stored records, use <see cref="CrmTestEngine"/> and <c>Client.Rules.DryRunAsync</c> or <c>BacktestAsync</c>.
/// </summary>
public static class RuleTester
{
    private static readonly JavaScriptRuleCompiler Compiler = new();
    private static readonly JavaScriptRuleRuntime Runtime = new();

    /// <summary>Checks and evaluates a JavaScript rule's source; a source the engine would refuse throws <see cref="ValidationException"/>.</summary>
    public static RuleTestResult Evaluate(string source, RuleEvent e, JavaScriptLimits? limits = null)
    {
        var options = new RuleOptions();
        if (limits is not null) options.TenantLimits[e.Tenant] = limits;
        var rules = new RuleCompiler([], options, Compiler, Runtime);
        var definition = rules.Analyze(new RuleDraft { Id = "rule-under-test", Source = source }, e.Tenant) with { Version = 1 };
        return Run(rules.Activate(definition, e.Tenant), e);
    }

    /// <summary>Evaluates a compiled C# rule.</summary>
    public static RuleTestResult Evaluate(ICrmRule rule, RuleEvent e)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var definition = RuleCompiler.Describe(rule);
        return Run(new ActiveRule(definition, x => CompiledRuleRunner.Evaluate(rule, x)), e);
    }

    /// <summary>
    /// An event as the engine would hand it to a rule: <paramref name="trigger"/> names the record type
    /// (<c>deal.stageChanged</c>), <c>changes</c> are worked out from <paramref name="before"/> and <paramref name="after"/>.
    /// </summary>
    public static RuleEvent Event(string trigger, JsonObject after, JsonObject? before = null, JsonObject? payload = null,
        DateTimeOffset? time = null, string tenant = "default", string recordId = "r1", string actor = "user:tester", int depth = 0)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var dot = trigger.IndexOf('.');
        var changes = new JsonObject();
        if (before is not null)
        {
            foreach (var key in before.Select(p => p.Key).Union(after.Select(p => p.Key)).ToList())
            {
                if (!JsonNode.DeepEquals(before[key], after[key]))
                {
                    changes[key] = new JsonObject { ["from"] = before[key]?.DeepClone(), ["to"] = after[key]?.DeepClone() };
                }
            }
        }

        return new RuleEvent
        {
            Trigger = trigger,
            Tenant = tenant,
            RecordType = dot > 0 ? trigger[..dot] : "",
            RecordId = dot > 0 ? recordId : "",
            EventId = Guid.CreateVersion7(),
            Time = time ?? DateTimeOffset.UtcNow,
            Actor = actor,
            Before = before,
            After = after,
            Changes = changes,
            Payload = payload ?? [],
            Depth = depth,
        };
    }

    private static RuleTestResult Run(ActiveRule rule, RuleEvent e)
    {
        var heard = RuleTriggers.Hears(rule.Definition.On, rule.Definition.Fields, new RuleTrigger(e.Trigger, e.Changes, e.Payload));
        if (!heard) throw new ArgumentException($"The rule listens to '{rule.Definition.On}'{(rule.Definition.Fields.Count > 0 ? " (fields " + string.Join(", ", rule.Definition.Fields) + ")" : "")}, not to this '{e.Trigger}' event.", nameof(e));
        var outcome = rule.Evaluate(e);
        return new RuleTestResult(rule.Definition, outcome.Matched, outcome.Actions);
    }
}
