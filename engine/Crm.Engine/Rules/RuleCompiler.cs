using Crm.Engine.Rules.JavaScript;

namespace Crm.Engine.Rules;

/// <summary>
/// Turns rule definitions into <see cref="ActiveRule"/>s: JavaScript sources are compiled (and cached by source),
/// compiled C# rules are looked up by id. Also reads what a draft's source declares (trigger, stage, fields).
/// </summary>
internal sealed class RuleCompiler(IEnumerable<ICrmRule> compiledRules, RuleOptions options, JavaScriptRuleCompiler javaScript, JavaScriptRuleRuntime runtime)
{
    public const string JavaScript = "javascript";
    public const string CSharp = "csharp";

    private readonly Dictionary<string, ICrmRule> _compiled = Index(compiledRules);

    /// <summary>The compiled C# rules registered in the engine.</summary>
    public IEnumerable<ICrmRule> CompiledRules => _compiled.Values;

    /// <summary>Checks a draft and returns the definition its source declares; <see cref="ValidationException"/> names what is wrong.</summary>
    public RuleDefinition Analyze(RuleDraft draft, string tenant)
    {
        var rule = javaScript.Compile(draft.Source, options.LimitsFor(tenant));
        if (!RuleTriggers.IsValid(rule.On))
        {
            throw new ValidationException("source", $"on: '{rule.On}' is not a trigger; use <record type>.<what> (e.g. deal.stageChanged, contact.updated, *.created) or \"schedule\"");
        }

        if (rule.On == RuleTriggers.Schedule)
        {
            if (RuleSchedules.Check(rule.Cron) is { } error) throw new ValidationException("source", "cron: " + error);
            if (rule.Stage != RuleStage.React) throw new ValidationException("source", "stage: a schedule rule runs in the react stage");
        }
        else if (rule.Cron is not null)
        {
            throw new ValidationException("source", "cron: only a rule with on: \"schedule\" has a cron schedule");
        }

        return new RuleDefinition
        {
            Id = draft.Id,
            Version = 0,
            Name = draft.Name ?? rule.Name,
            Description = draft.Description ?? rule.Description,
            Language = JavaScript,
            Source = draft.Source,
            On = rule.On,
            Stage = rule.Stage,
            Fields = rule.Fields,
            Priority = rule.Priority,
            Cron = rule.Cron,
            Enabled = draft.Enabled,
        };
    }

    /// <summary>The definition of a compiled C# rule.</summary>
    public static RuleDefinition Describe(ICrmRule rule) => new()
    {
        Id = rule.Id,
        Version = rule.Version,
        Name = rule.GetType().Name,
        Language = CSharp,
        On = rule.On,
        Stage = rule.Stage,
        Fields = rule.Fields,
        Priority = rule.Priority,
        Origin = RuleOrigin.Compiled,
    };

    /// <summary>The rule ready to evaluate for <paramref name="tenant"/>.</summary>
    public ActiveRule Activate(RuleDefinition definition, string tenant)
    {
        if (definition.Language == CSharp)
        {
            var rule = _compiled.GetValueOrDefault(definition.Id) ?? throw new InvalidOperationException($"No compiled rule '{definition.Id}' is registered.");
            return new ActiveRule(definition, e => CompiledRuleRunner.Evaluate(rule, e));
        }

        var limits = options.LimitsFor(tenant);
        var compiled = javaScript.Compile(definition.Source ?? "", limits);
        return new ActiveRule(definition, e => runtime.Evaluate(compiled, e, limits));
    }

    private static Dictionary<string, ICrmRule> Index(IEnumerable<ICrmRule> rules)
    {
        var index = new Dictionary<string, ICrmRule>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (!Grains.RuleBookGrain.IsValidId(rule.Id)) throw new InvalidOperationException($"Compiled rule {rule.GetType().FullName} has an invalid id '{rule.Id}'.");
            if (!RuleTriggers.IsValid(rule.On)) throw new InvalidOperationException($"Compiled rule '{rule.Id}' listens to an unknown trigger '{rule.On}'.");
            if (rule.On == RuleTriggers.Schedule) throw new InvalidOperationException($"Compiled rule '{rule.Id}' is a schedule rule; schedules are kept per tenant, so save it as a tenant rule instead.");
            if (!index.TryAdd(rule.Id, rule)) throw new InvalidOperationException($"Two compiled rules have the id '{rule.Id}'.");
        }

        return index;
    }
}
