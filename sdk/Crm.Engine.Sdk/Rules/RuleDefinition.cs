namespace Crm.Engine.Rules;

/// <summary>Where a rule comes from.</summary>
public enum RuleOrigin
{
    /// <summary>Created over the API; versioned per tenant.</summary>
    Tenant = 0,

    /// <summary>A <c>.js</c> file from a rules folder; applies to every tenant.</summary>
    Folder = 1,

    /// <summary>A compiled <see cref="ICrmRule"/>; applies to every tenant.</summary>
    Compiled = 2,
}

/// <summary>One version of a rule, as stored: its source and what its source declares.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleDefinition")]
public sealed record RuleDefinition
{
    /// <summary>Stable id: lower-case letters, digits, '-', '_' and '.'.</summary>
    [Id(0)] public required string Id { get; init; }

    /// <summary>1 for the first version; every update adds one.</summary>
    [Id(1)] public required int Version { get; init; }

    /// <summary>A name for people.</summary>
    [Id(2)] public string? Name { get; init; }

    /// <summary>What the rule is for.</summary>
    [Id(3)] public string? Description { get; init; }

    /// <summary><c>javascript</c> or <c>csharp</c>.</summary>
    [Id(4)] public required string Language { get; init; }

    /// <summary>The JavaScript source (null for a compiled rule).</summary>
    [Id(5)] public string? Source { get; init; }

    /// <summary>The trigger the source declares.</summary>
    [Id(6)] public required string On { get; init; }

    /// <summary>The stage the source declares.</summary>
    [Id(7)] public required RuleStage Stage { get; init; }

    /// <summary>For <c>*.updated</c>: the fields whose change triggers it.</summary>
    [Id(8)] public IReadOnlyList<string> Fields { get; init; } = [];

    /// <summary>Lower runs first.</summary>
    [Id(9)] public int Priority { get; init; } = 100;

    /// <summary>Whether the rule runs.</summary>
    [Id(10)] public bool Enabled { get; init; } = true;

    /// <summary>Why it was disabled (by a person, or after repeated failures).</summary>
    [Id(11)] public string? DisabledReason { get; init; }

    /// <summary>Where it comes from.</summary>
    [Id(12)] public RuleOrigin Origin { get; init; }

    /// <summary>When this version was saved.</summary>
    [Id(13)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Who saved this version.</summary>
    [Id(14)] public string? CreatedBy { get; init; }

    /// <summary>For <c>schedule</c> rules: a cron expression (5 fields) in the tenant's time zone.</summary>
    [Id(15)] public string? Cron { get; init; }
}
