namespace Crm.Engine;

/// <summary>
/// One committed event: the audit record of a change. Payloads are JSON; old schema versions are upcast when read.
/// </summary>
[GenerateSerializer, Immutable, Alias("crm.CrmEvent")]
public sealed record CrmEvent
{
    /// <summary>Globally unique event id.</summary>
    [Id(0)] public required Guid EventId { get; init; }

    /// <summary>The tenant the stream belongs to.</summary>
    [Id(1)] public required string Tenant { get; init; }

    /// <summary>The stream, <c>{type}/{id}</c> for records.</summary>
    [Id(2)] public required string StreamId { get; init; }

    /// <summary>1-based position within the stream.</summary>
    [Id(3)] public required long Version { get; init; }

    /// <summary>Stable type name, e.g. <c>record.updated</c>.</summary>
    [Id(4)] public required string Type { get; init; }

    /// <summary>Schema version of <see cref="PayloadJson"/>.</summary>
    [Id(5)] public required int SchemaVersion { get; init; }

    /// <summary>When the event was recorded (UTC).</summary>
    [Id(6)] public required DateTimeOffset Time { get; init; }

    /// <summary>Who caused it.</summary>
    [Id(7)] public required Actor Actor { get; init; }

    /// <summary>Correlation id shared by everything one action caused.</summary>
    [Id(8)] public string? CorrelationId { get; init; }

    /// <summary>The event or request that caused this one.</summary>
    [Id(9)] public string? CausationId { get; init; }

    /// <summary>The payload (JSON object).</summary>
    [Id(10)] public required string PayloadJson { get; init; }

    /// <summary>Position in the whole log; 0 before commit.</summary>
    [Id(11)] public long Position { get; init; }
}
