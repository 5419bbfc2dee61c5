using Crm.Engine.Rules;

namespace Crm.Engine.Plugins;

/// <summary>
/// A plugin's C# rule as the engine sees it: its description is read once, and whatever its <c>When</c> or
/// <c>Then</c> throws becomes a rule failure naming the plugin (recorded by the engine like any rule's failure).
/// A rule that cannot be created or describes itself wrongly is replaced by one that never applies, and the
/// plugin's catalog entry says why: a plugin must not stop the engine's other rules.
/// </summary>
internal sealed class PluginRule : ICrmRule
{
    private static int s_unavailable;
    private readonly ICrmRule? _inner;

    public PluginRule(IServiceProvider services, PluginGuards guards, string plugin, Func<object> create)
    {
        Plugin = plugin;
        try
        {
            var inner = (ICrmRule)create();
            Id = inner.Id;
            Version = inner.Version;
            On = inner.On;
            Stage = inner.Stage;
            Fields = [.. inner.Fields ?? []];
            Priority = inner.Priority;
            if (!Grains.RuleBookGrain.IsValidId(Id)) throw new InvalidOperationException($"its id '{Id}' is not a rule id (lower-case letters, digits, '.', '-', '_')");
            if (!RuleTriggers.IsValid(On) || On == RuleTriggers.Schedule) throw new InvalidOperationException($"rule '{Id}' listens to '{On}', which is not an event trigger");
            if (!guards.ClaimRuleId(plugin, Id, out var owner)) throw new InvalidOperationException($"rule id '{Id}' is taken by plugin '{owner}'");
            _inner = inner;
            guards.Catalog.AddRule(plugin, Id);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Id = $"plugin.{plugin.ToLowerInvariant()}.unavailable.{Interlocked.Increment(ref s_unavailable)}";
            Version = 0;
            On = "*.created";
            Stage = RuleStage.React;
            Fields = [];
            Priority = int.MaxValue;
            guards.Fault(services, plugin, "a rule", ex);
        }
    }

    public string Plugin { get; }

    public string Id { get; }

    public int Version { get; }

    public string On { get; }

    public RuleStage Stage { get; }

    public IReadOnlyList<string> Fields { get; }

    public int Priority { get; }

    public bool When(RuleEvent e)
    {
        if (_inner is null) return false;
        try
        {
            return _inner.When(e);
        }
        catch (Exception ex) when (ex is not (RuleScriptException or RuleLimitExceededException or OutOfMemoryException))
        {
            throw Failed("When", ex);
        }
    }

    public void Then(RuleEvent e, IRuleActions act)
    {
        if (_inner is null) return;
        try
        {
            _inner.Then(e, act);
        }
        catch (Exception ex) when (ex is not (RuleScriptException or RuleLimitExceededException or OutOfMemoryException))
        {
            throw Failed("Then", ex);
        }
    }

    private RuleScriptException Failed(string part, Exception ex) =>
        new($"Rule '{Id}' of plugin '{Plugin}' threw in {part}: {PluginFailures.Describe(ex)}");
}
