namespace Crm.Engine.Rules;

/// <summary>What one evaluation of a rule decided: whether its condition held, and the actions its <c>then</c> recorded.</summary>
internal sealed record RuleOutcome(bool Matched, IReadOnlyList<RuleAction> Actions)
{
    /// <summary>The condition did not hold: nothing to do.</summary>
    public static readonly RuleOutcome NotMatched = new(false, []);
}
