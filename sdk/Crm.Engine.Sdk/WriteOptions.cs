namespace Crm.Engine;

/// <summary>Per-write options: who writes, the version the caller saw, and tracing ids.</summary>
[GenerateSerializer, Immutable, Alias("crm.WriteOptions")]
public sealed record WriteOptions
{
    /// <summary>Who makes the change. Defaults to the client's actor.</summary>
    [Id(0)] public Actor? Actor { get; init; }

    /// <summary>The record version the caller last saw; a different current version is refused with <see cref="ConcurrencyConflictException"/>.</summary>
    [Id(1)] public long? ExpectedVersion { get; init; }

    /// <summary>Correlates every event caused by one user action.</summary>
    [Id(2)] public string? CorrelationId { get; init; }

    /// <summary>The id of the event (or request) that caused this change.</summary>
    [Id(3)] public string? CausationId { get; init; }

    /// <summary>
    /// Makes the write effectively-once: a later write with the same key is not applied again and returns the record
    /// as it is. Used by the engine's outbox for internal effects; any caller retrying a command may use it.
    /// </summary>
    [Id(4)] public string? EffectKey { get; init; }

    /// <summary>No options.</summary>
    public static WriteOptions None { get; } = new();
}
