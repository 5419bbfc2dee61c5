using Acornima.Ast;
using Jint;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// A compiled JavaScript rule: what its module declares, and its script prepared once (parsed and analysed) to be run
/// on any engine. Immutable and shared by every thread and tenant that evaluates it.
/// </summary>
internal sealed class JavaScriptRule
{
    internal JavaScriptRule(string source, Prepared<Script> script, JavaScriptRuleMetadata metadata)
    {
        Source = source;
        Script = script;
        Metadata = metadata;
    }

    /// <summary>The module's source, as written.</summary>
    public string Source { get; }

    /// <summary>What the module's <c>export default</c> declares.</summary>
    public JavaScriptRuleMetadata Metadata { get; }

    /// <summary>The trigger, e.g. <c>deal.stageChanged</c>, or <c>schedule</c>.</summary>
    public string On => Metadata.On;

    /// <summary>The stage (react unless the module says otherwise).</summary>
    public RuleStage Stage => Metadata.Stage;

    /// <summary>For <c>*.updated</c>: the fields whose change triggers it (none: any).</summary>
    public IReadOnlyList<string> Fields => Metadata.Fields;

    /// <summary>Lower runs first (100 unless the module says otherwise).</summary>
    public int Priority => Metadata.Priority;

    /// <summary>For <c>schedule</c>: the cron expression.</summary>
    public string? Cron => Metadata.Cron;

    /// <summary>A name for people.</summary>
    public string? Name => Metadata.Name;

    /// <summary>What the rule is for.</summary>
    public string? Description => Metadata.Description;

    /// <summary>
    /// The module rewritten as a script that hands a function returning the module's export to the sandbox's entry
    /// point; running it again runs the module's top level again, so module variables start fresh every evaluation.
    /// </summary>
    internal Prepared<Script> Script { get; }
}

/// <summary>What a rule module's <c>export default</c> declares, besides its <c>when</c> and <c>then</c>.</summary>
internal sealed record JavaScriptRuleMetadata(
    string On,
    RuleStage Stage,
    IReadOnlyList<string> Fields,
    int Priority,
    string? Cron,
    string? Name,
    string? Description);
