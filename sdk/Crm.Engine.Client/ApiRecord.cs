using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>A record as the API answers it: its id, version (and so ETag) and its JSON.</summary>
public sealed class ApiRecord
{
    /// <summary>Wraps a record object answered by the server; <paramref name="etag"/> defaults to the version quoted.</summary>
    public ApiRecord(JsonObject fields, string? etag = null, Uri? location = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Fields = fields;
        Id = fields["id"] is JsonValue id && id.GetValueKind() == JsonValueKind.String
            ? id.GetValue<string>()
            : throw new FormatException("A record answered by the server has no 'id'.");
        Version = fields["version"] is JsonValue v && v.TryGetValue<long>(out var version) ? version : 0;
        ETag = etag ?? "\"" + Version.ToString(CultureInfo.InvariantCulture) + "\"";
        Location = location;
    }

    /// <summary>The record id.</summary>
    public string Id { get; }

    /// <summary>The stream version: 1 after create, one more per change.</summary>
    public long Version { get; }

    /// <summary>The ETag to send back in <c>If-Match</c>, e.g. <c>"3"</c>.</summary>
    public string ETag { get; }

    /// <summary>The record as the server answered it: <c>id</c>, <c>version</c>, <c>createdAt</c>, <c>updatedAt</c>, its fields, <c>links</c>.</summary>
    public JsonObject Fields { get; }

    /// <summary>Where the record lives, when the answer was a 201 Created.</summary>
    public Uri? Location { get; }

    /// <summary>True when the record is deleted (only seen through <c>includeDeleted</c> and history).</summary>
    public bool Deleted => Fields["deleted"] is JsonValue d && d.TryGetValue<bool>(out var b) && b;

    /// <summary>When the record was created.</summary>
    public DateTimeOffset? CreatedAt => GetTime("createdAt");

    /// <summary>When the record last changed.</summary>
    public DateTimeOffset? UpdatedAt => GetTime("updatedAt");

    /// <summary>A field's value, or null.</summary>
    public JsonNode? this[string field] => Fields[field];

    /// <summary>A text field's value, or null when absent or not text.</summary>
    public string? GetString(string field) =>
        Fields[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>A custom field's value (under <c>custom</c>), or null.</summary>
    public JsonNode? GetCustom(string name) => (Fields["custom"] as JsonObject)?[name];

    /// <summary>The links the record owns.</summary>
    public IReadOnlyList<ApiLink> Links => Fields["links"] is JsonArray links
        ? [.. links.OfType<JsonObject>().Select(l => new ApiLink(Str(l, "type") ?? "", Str(l, "id") ?? "", Str(l, "role")))]
        : [];

    /// <inheritdoc />
    public override string ToString() => Fields.ToJsonString();

    private DateTimeOffset? GetTime(string field) =>
        GetString(field) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>A link a record owns: the target's type and id, and an optional role (e.g. <c>decisionMaker</c>).</summary>
public sealed record ApiLink(string Type, string Id, string? Role);

/// <summary>One page of a list: its items and the cursor of the next page (null on the last).</summary>
public sealed record ApiPage<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>An event of a record's history or timeline.</summary>
public sealed record ApiEvent
{
    public required string EventId { get; init; }

    /// <summary>The stream it belongs to, <c>{type}/{id}</c>.</summary>
    public required string Stream { get; init; }
    public required long Version { get; init; }
    public required long Position { get; init; }

    /// <summary>The event type, e.g. <c>record.created</c>.</summary>
    public required string Type { get; init; }
    public required int SchemaVersion { get; init; }
    public required DateTimeOffset Time { get; init; }

    /// <summary>Who wrote it, e.g. <c>apikey:k123</c>.</summary>
    public required string Actor { get; init; }
    public string? CorrelationId { get; init; }
    public string? CausationId { get; init; }

    /// <summary>The payload.</summary>
    public JsonNode? Data { get; init; }

    internal static ApiEvent From(JsonObject o) => new()
    {
        EventId = Json.Str(o, "eventId") ?? "",
        Stream = Json.Str(o, "stream") ?? "",
        Version = Json.Long(o, "version") ?? 0,
        Position = Json.Long(o, "position") ?? 0,
        Type = Json.Str(o, "type") ?? "",
        SchemaVersion = (int)(Json.Long(o, "schemaVersion") ?? 1),
        Time = Json.Time(o, "time") ?? default,
        Actor = Json.Str(o, "actor") ?? "",
        CorrelationId = Json.Str(o, "correlationId"),
        CausationId = Json.Str(o, "causationId"),
        Data = o["data"]?.DeepClone(),
    };
}

/// <summary>Small readers over <see cref="JsonObject"/> members.</summary>
internal static class Json
{
    public static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long? Long(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    public static bool? Bool(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    public static DateTimeOffset? Time(JsonObject o, string name) =>
        Str(o, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
