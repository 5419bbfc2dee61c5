namespace Crm.Engine.Rules;

/// <summary>A rule ready to evaluate: its definition (the provenance of its effects) and its compiled logic.</summary>
internal sealed class ActiveRule(RuleDefinition definition, Func<RuleEvent, RuleOutcome> evaluate)
{
    public RuleDefinition Definition { get; } = definition;

    /// <summary>Who its effects are attributed to: <c>rule:{id}@{version}</c>.</summary>
    public Actor Actor { get; } = Actor.Rule(definition.Id, definition.Version);

    public string Id => Definition.Id;
    public int Version => Definition.Version;

    /// <summary>Whether it hears <paramref name="trigger"/>.</summary>
    public bool Hears(RuleTrigger trigger) => RuleTriggers.Hears(Definition.On, Definition.Fields, trigger);

    /// <summary>Runs <c>when</c> and, if it holds, <c>then</c>. Throws what the rule's logic throws.</summary>
    public RuleOutcome Evaluate(RuleEvent e) => evaluate(e);
}
