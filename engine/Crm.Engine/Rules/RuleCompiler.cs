namespace Crm.Engine.Rules;

/// <summary>
/// Turns rule definitions into <see cref="ActiveRule"/>s: JavaScript sources are compiled (and cached by source),
/// compiled C# rules are looked up by id. Also reads what a draft's source declares (trigger, stage, fields).
/// </summary>
internal sealed class RuleCompiler(IEnumerable<ICrmRule> compiledRules, RuleOptions options)
{
    public const string JavaScript = "javascript";
    public const string CSharp = "csharp";

    private readonly Dictionary<string, ICrmRule> _compiled = Index(compiledRules);

    /// <summary>The compiled C# rules registered in the engine.</summary>
    public IEnumerable<ICrmRule> CompiledRules => _compiled.Values;

    /// <summary>Checks a draft and returns the definition its source declares; <see cref="ValidationException"/> names what is wrong.</summary>
    public RuleDefinition Analyze(RuleDraft draft, string tenant)
    {
        _ = options.LimitsFor(tenant);
        throw new ValidationException("source", "JavaScript rules are not available in this build.");
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

        throw new RuleScriptException("JavaScript rules are not available in this build.");
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
