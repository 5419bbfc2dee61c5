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
public sealed record OutboxEntry
{
    public required long Id { get; init; }
    public required string Subscription { get; init; }
    public required string Key { get; init; }
    public required string Kind { get; init; }
    public required string Tenant { get; init; }
    public required string PayloadJson { get; init; }
    public Guid? SourceEventId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required OutboxStatus Status { get; init; }

    /// <summary>Executions tried so far.</summary>
    public required int Attempts { get; init; }
    public required DateTimeOffset NextAttemptAt { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The idempotency key of this effect across the cluster: <c>{subscription}/{key}</c>.</summary>
    public string EffectKey => Subscription + "/" + Key;
}

