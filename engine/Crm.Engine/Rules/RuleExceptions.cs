namespace Crm.Engine.Rules;

/// <summary>A rule was stopped by one of its limits (time, statements, memory, recursion, array size, regex time, input size, actions).</summary>
[GenerateSerializer, Alias("crm.RuleLimitExceededException")]
public sealed class RuleLimitExceededException : CrmException
{
    public RuleLimitExceededException(string limit, string message)
        : base("rule_limit", message) => Limit = limit;

    /// <summary>Which limit: <c>time</c>, <c>statements</c>, <c>memory</c>, <c>recursion</c>, <c>arraySize</c>, <c>regexTime</c>, <c>input</c>, <c>actions</c>.</summary>
    [Id(0)] public string Limit { get; }
}

/// <summary>A rule failed: its script threw (or does not parse), or it asked for an action with invalid arguments.</summary>
[GenerateSerializer, Alias("crm.RuleScriptException")]
public sealed class RuleScriptException : CrmException
{
    public RuleScriptException(string message) : base("rule_error", message)
    {
    }
}
