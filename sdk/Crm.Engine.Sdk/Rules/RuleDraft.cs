namespace Crm.Engine.Rules;

/// <summary>A JavaScript rule to save: its id and source; what it listens to is read from the source.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleDraft")]
public sealed record RuleDraft
{
    /// <summary>Stable id: 1–100 lower-case letters, digits, '.', '-' or '_'.</summary>
    [Id(0)] public required string Id { get; init; }

    /// <summary>The rule's JavaScript: <c>export default { on, stage?, fields?, priority?, when?, then }</c>.</summary>
    [Id(1)] public required string Source { get; init; }

    /// <summary>A name for people (defaults to the one in the source).</summary>
    [Id(2)] public string? Name { get; init; }

    /// <summary>What the rule is for (defaults to the one in the source).</summary>
    [Id(3)] public string? Description { get; init; }

    /// <summary>Whether the saved version runs at once.</summary>
    [Id(4)] public bool Enabled { get; init; } = true;
}
