namespace Crm.Engine.Rules;

/// <summary>What one evaluation of a rule came to: whether <c>when</c> held, and the actions <c>then</c> recorded.</summary>
internal sealed record RuleOutcome(bool Matched, IReadOnlyList<RuleAction> Actions)
{
    public static RuleOutcome NotMatched { get; } = new(false, []);
}
