namespace Crm.Engine.Rules;

/// <summary>
/// A compiled C# rule, for plugin authors. It runs in the same pipeline as JavaScript rules and has the same
/// triggers and actions. Register with <c>services.AddCrmRule&lt;T&gt;()</c>; it applies to every tenant.
/// <see cref="When"/> and <see cref="Then"/> must be pure functions of the event: no I/O, no clock but
/// <see cref="RuleEvent.Time"/>, no state between calls.
/// </summary>
public interface ICrmRule
{
    /// <summary>Stable id, unique in the engine: lower-case letters, digits, '-', '_' and '.'.</summary>
    string Id { get; }

    /// <summary>Version recorded on every effect; raise it when the logic changes.</summary>
    int Version { get; }

    /// <summary>The trigger, e.g. <c>deal.stageChanged</c> or <c>contact.updated</c>.</summary>
    string On { get; }

    /// <summary>Where in the pipeline it runs.</summary>
    RuleStage Stage { get; }

    /// <summary>For <c>*.updated</c>: run only when one of these fields changed (none: any change).</summary>
    IReadOnlyList<string> Fields { get; }

    /// <summary>Lower runs first among rules of one stage and trigger.</summary>
    int Priority { get; }

    /// <summary>Whether the rule applies to this event.</summary>
    bool When(RuleEvent e);

    /// <summary>What the rule does; actions are recorded on <paramref name="act"/>.</summary>
    void Then(RuleEvent e, IRuleActions act);
}

/// <summary>A convenient base for <see cref="ICrmRule"/>: version 1, react stage, any field, priority 100, always applies.</summary>
public abstract class CrmRule : ICrmRule
{
    /// <inheritdoc />
    public abstract string Id { get; }

    /// <inheritdoc />
    public virtual int Version => 1;

    /// <inheritdoc />
    public abstract string On { get; }

    /// <inheritdoc />
    public virtual RuleStage Stage => RuleStage.React;

    /// <inheritdoc />
    public virtual IReadOnlyList<string> Fields => [];

    /// <inheritdoc />
    public virtual int Priority => 100;

    /// <inheritdoc />
    public virtual bool When(RuleEvent e) => true;

    /// <inheritdoc />
    public abstract void Then(RuleEvent e, IRuleActions act);
}
