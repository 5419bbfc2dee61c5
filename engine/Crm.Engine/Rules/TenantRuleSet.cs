using System.Collections.Concurrent;

namespace Crm.Engine.Rules;

/// <summary>The enabled rules of one tenant (its own and the engine-wide ones), indexed by stage and trigger.</summary>
internal sealed class TenantRuleSet
{
    private readonly ActiveRule[] _rules;
    private readonly ConcurrentDictionary<(RuleStage, string), ActiveRule[]> _byTrigger = new();
    private readonly HashSet<string> _syncTypes;
    private readonly bool _syncAnyType;

    public TenantRuleSet(IEnumerable<ActiveRule> rules)
    {
        _rules = [.. rules.OrderBy(r => r.Definition.Priority).ThenBy(r => r.Id, StringComparer.Ordinal)];
        var sync = _rules.Where(r => r.Definition.Stage != RuleStage.React).Select(r => TypeOf(r.Definition.On)).ToList();
        _syncAnyType = sync.Contains("*");
        _syncTypes = [.. sync];
    }

    public static TenantRuleSet Empty { get; } = new([]);

    public IReadOnlyList<ActiveRule> All => _rules;

    public bool HasReactRules => _rules.Any(r => r.Definition.Stage == RuleStage.React);

    /// <summary>True when validate or enrich rules listen to records of <paramref name="recordType"/>.</summary>
    public bool HasSyncRules(string recordType) => _syncAnyType || _syncTypes.Contains(recordType);

    /// <summary>Rules of <paramref name="stage"/> listening to triggers named like <paramref name="trigger"/>'s (in priority order).</summary>
    public IReadOnlyList<ActiveRule> For(RuleStage stage, RuleTrigger trigger)
    {
        var candidates = _byTrigger.GetOrAdd((stage, trigger.Name), key =>
        {
            var dot = key.Item2.IndexOf('.');
            var wildcard = dot > 0 ? "*" + key.Item2[dot..] : null;
            return [.. _rules.Where(r => r.Definition.Stage == key.Item1 && (r.Definition.On == key.Item2 || r.Definition.On == wildcard))];
        });
        return candidates.Length == 0 ? candidates : [.. candidates.Where(r => r.Hears(trigger))];
    }

    /// <summary>Rules run by a cron schedule.</summary>
    public IEnumerable<ActiveRule> Scheduled => _rules.Where(r => r.Definition.On == RuleTriggers.Schedule);

    private static string TypeOf(string on)
    {
        var dot = on.IndexOf('.');
        return dot > 0 ? on[..dot] : on;
    }
}
