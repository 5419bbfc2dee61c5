namespace Crm.Engine.Rules;

/// <summary>A rule and how it has been doing on the node that answered.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleStatus")]
public sealed record RuleStatus
{
    [Id(0)] public required RuleDefinition Rule { get; init; }

    /// <summary>Evaluations and failures on this node since it started; null when it has not run here.</summary>
    [Id(1)] public RuleHealthReport? Health { get; init; }
}

/// <summary>How a rule has been doing on one node: evaluations, failures in a row, the last error.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleHealthReport")]
public sealed record RuleHealthReport
{
    [Id(0)] public long Evaluations { get; init; }
    [Id(1)] public long Failures { get; init; }
    [Id(2)] public int ConsecutiveFailures { get; init; }
    [Id(3)] public string? LastError { get; init; }
    [Id(4)] public DateTimeOffset? LastErrorAt { get; init; }
    [Id(5)] public string? LastErrorEventId { get; init; }
}

/// <summary>Which rule to try on which record: a saved rule (by id) or a draft's source.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleDryRunRequest")]
public sealed record RuleDryRunRequest
{
    /// <summary>A saved or engine-wide rule (its current version).</summary>
    [Id(0)] public string? RuleId { get; init; }

    /// <summary>Or a JavaScript source that is not saved.</summary>
    [Id(1)] public string? Source { get; init; }

    [Id(2)] public required string RecordType { get; init; }
    [Id(3)] public required string RecordId { get; init; }

    /// <summary>The record's event to evaluate on; its latest when null.</summary>
    [Id(4)] public Guid? EventId { get; init; }
}

/// <summary>One evaluation of a rule on one trigger of an event.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleEvaluation")]
public sealed record RuleEvaluation
{
    [Id(0)] public required string RuleId { get; init; }
    [Id(1)] public required int RuleVersion { get; init; }
    [Id(2)] public required string Trigger { get; init; }
    [Id(3)] public required Guid EventId { get; init; }
    [Id(4)] public required string RecordType { get; init; }
    [Id(5)] public required string RecordId { get; init; }
    [Id(6)] public required DateTimeOffset Time { get; init; }
    [Id(7)] public bool Matched { get; init; }
    [Id(8)] public IReadOnlyList<RuleAction> Actions { get; init; } = [];

    /// <summary>Why the evaluation failed, or null.</summary>
    [Id(9)] public string? Error { get; init; }
}

/// <summary>What a rule would do on one record's event — nothing was changed.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleDryRun")]
public sealed record RuleDryRun
{
    [Id(0)] public required RuleDefinition Rule { get; init; }
    [Id(1)] public required Guid EventId { get; init; }
    [Id(2)] public required string EventType { get; init; }

    /// <summary>The triggers the event raises.</summary>
    [Id(3)] public required IReadOnlyList<string> Triggers { get; init; }

    /// <summary>One per trigger the rule hears (none when it hears none of them).</summary>
    [Id(4)] public required IReadOnlyList<RuleEvaluation> Evaluations { get; init; }
}

/// <summary>Which rules to replay over a tenant's stored history, and over what time.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleBacktestRequest")]
public sealed record RuleBacktestRequest
{
    /// <summary>Saved or engine-wide rules to replay; with neither these nor <see cref="Sources"/>, every enabled rule.</summary>
    [Id(0)] public IReadOnlyList<string> RuleIds { get; init; } = [];

    /// <summary>Drafts to replay (their ids are the dictionary keys).</summary>
    [Id(1)] public IReadOnlyDictionary<string, string> Sources { get; init; } = new Dictionary<string, string>();
    [Id(2)] public DateTimeOffset? From { get; init; }
    [Id(3)] public DateTimeOffset? To { get; init; }

    /// <summary>Most events of the tenant to replay (default 100,000).</summary>
    [Id(4)] public int MaxEvents { get; init; } = 100_000;

    /// <summary>Most firings listed one by one (default 100); the counts cover all.</summary>
    [Id(5)] public int MaxSamples { get; init; } = 100;
}

/// <summary>How one rule did in a backtest.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleBacktestSummary")]
public sealed record RuleBacktestSummary
{
    [Id(0)] public required string RuleId { get; init; }
    [Id(1)] public required int RuleVersion { get; init; }
    [Id(2)] public long Evaluations { get; init; }

    /// <summary>Evaluations where <c>when</c> held.</summary>
    [Id(3)] public long Fired { get; init; }

    /// <summary>Distinct records it fired on.</summary>
    [Id(4)] public long Records { get; init; }

    /// <summary>Actions it would have taken, by kind.</summary>
    [Id(5)] public IReadOnlyDictionary<string, long> Actions { get; init; } = new Dictionary<string, long>();
    [Id(6)] public long Errors { get; init; }

    /// <summary>The first error, if any.</summary>
    [Id(7)] public string? FirstError { get; init; }
}

/// <summary>What rules would have done over stored history — nothing was changed.</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleBacktest")]
public sealed record RuleBacktest
{
    /// <summary>Events of the tenant replayed.</summary>
    [Id(0)] public long Events { get; init; }

    /// <summary>True when <see cref="RuleBacktestRequest.MaxEvents"/> cut the replay short.</summary>
    [Id(1)] public bool Truncated { get; init; }
    [Id(2)] public required IReadOnlyList<RuleBacktestSummary> Rules { get; init; }

    /// <summary>The first firings, oldest first.</summary>
    [Id(3)] public required IReadOnlyList<RuleEvaluation> Samples { get; init; }
}
