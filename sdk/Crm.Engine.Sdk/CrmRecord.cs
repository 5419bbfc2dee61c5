using System.Text.Json.Nodes;

namespace Crm.Engine;

/// <summary>
/// A record as readers see it: its id, type, version and fields (camelCase JSON, custom fields under <c>custom</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("crm.CrmRecord")]
public sealed record CrmRecord
{
    [NonSerialized] private JsonObject? _fields;

    /// <summary>The record id, unique within its tenant and type.</summary>
    [Id(0)] public required string Id { get; init; }

    /// <summary>The record type, one of <see cref="RecordTypes"/>.</summary>
    [Id(1)] public required string Type { get; init; }

    /// <summary>The stream version: the number of events applied. Use it as an ETag.</summary>
    [Id(2)] public long Version { get; init; }

    /// <summary>True when the record carries a tombstone; it can be restored.</summary>
    [Id(3)] public bool Deleted { get; init; }

    /// <summary>When the record was created (UTC).</summary>
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the record last changed (UTC).</summary>
    [Id(5)] public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The fields as JSON text.</summary>
    [Id(6)] public required string FieldsJson { get; init; }

    /// <summary>Links this record owns (e.g. an interaction's contacts, a deal's account).</summary>
    [Id(7)] public IReadOnlyList<RecordLink> Links { get; init; } = [];

    /// <summary>The id of the record this one was merged into (it then also carries a tombstone), or null.</summary>
    [Id(8)] public string? MergedInto { get; init; }

    /// <summary>The fields, parsed. Each call returns a fresh copy the caller may change.</summary>
    public JsonObject Fields => (JsonObject)(_fields ??= JsonNode.Parse(FieldsJson)!.AsObject()).DeepClone();

    /// <summary>A string field, or null.</summary>
    public string? GetString(string field) =>
        (_fields ??= JsonNode.Parse(FieldsJson)!.AsObject())[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A field's JSON value (a copy), or null.</summary>
    public JsonNode? Get(string field) => (_fields ??= JsonNode.Parse(FieldsJson)!.AsObject())[field]?.DeepClone();
}
