namespace Crm.Engine.Rules;

/// <summary>A validate rule refused the command; nothing was written. <see cref="Errors"/> name the fields and say why.</summary>
[GenerateSerializer, Alias("crm.RuleRejectedException")]
public sealed class RuleRejectedException : CrmException
{
    public RuleRejectedException(IReadOnlyList<FieldError> errors, IReadOnlyList<string> rules)
        : base("rule_rejected", string.Join("; ", errors.Select(e => e.Message)))
    {
        Errors = errors;
        Rules = rules;
    }

    /// <summary>Each refusal: the field it concerns (or <c>record</c>) and the rule's message.</summary>
    [Id(0)] public IReadOnlyList<FieldError> Errors { get; }

    /// <summary>The rules that refused, as <c>{id}@{version}</c>.</summary>
    [Id(1)] public IReadOnlyList<string> Rules { get; }
}

/// <summary>A validate or enrich rule failed (threw, hit a limit, or asked for an action its stage cannot take); nothing was written.</summary>
[GenerateSerializer, Alias("crm.RuleFailedException")]
public sealed class RuleFailedException : CrmException
{
    public RuleFailedException(string ruleId, int version, string reason)
        : base("rule_failed", $"Rule '{ruleId}' v{version} failed: {reason}")
    {
        RuleId = ruleId;
        RuleVersion = version;
    }

    [Id(0)] public string RuleId { get; }
    [Id(1)] public int RuleVersion { get; }
}
