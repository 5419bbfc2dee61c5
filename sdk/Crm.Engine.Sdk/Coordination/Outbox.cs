namespace Crm.Engine.Storage;

/// <summary>An effect a subscription decided on, to be executed (and retried) later; never decided again.</summary>
public sealed record OutboxMessage
{
    /// <summary>Unique within the subscription and stable across retries, e.g. <c>{eventId}/{actionIndex}</c>; it is passed downstream as the idempotency key.</summary>
    public required string Key { get; init; }

    /// <summary>What kind of effect, e.g. <c>record.update</c>, <c>webhook</c>.</summary>
    public required string Kind { get; init; }

    public required string Tenant { get; init; }

    public required string PayloadJson { get; init; }

    /// <summary>The event whose handling produced this effect.</summary>
    public Guid? SourceEventId { get; init; }

    /// <summary>When to execute it first; at once when null.</summary>
    public DateTimeOffset? NotBefore { get; init; }
}

/// <summary>The state of an outbox row.</summary>
public enum OutboxStatus
{
    Pending = 0,
    Done = 1,

    /// <summary>Gave up after the last allowed attempt; kept with its error for an operator.</summary>
    Failed = 2,
}

/// <summary>A stored outbox row.</summary>
[GenerateSerializer, Immutable, Alias("crm.OutboxEntry")]
public sealed record OutboxEntry
{
    [Id(0)] public required long Id { get; init; }
    [Id(1)] public required string Subscription { get; init; }
    [Id(2)] public required string Key { get; init; }
    [Id(3)] public required string Kind { get; init; }
    [Id(4)] public required string Tenant { get; init; }
    [Id(5)] public required string PayloadJson { get; init; }
    [Id(6)] public Guid? SourceEventId { get; init; }
    [Id(7)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(8)] public required OutboxStatus Status { get; init; }

    /// <summary>Executions tried so far.</summary>
    [Id(9)] public required int Attempts { get; init; }
    [Id(10)] public required DateTimeOffset NextAttemptAt { get; init; }
    [Id(11)] public string? LastError { get; init; }
    [Id(12)] public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The idempotency key of this effect across the cluster: <c>{subscription}/{key}</c>.</summary>
    public string EffectKey => Subscription + "/" + Key;
}

