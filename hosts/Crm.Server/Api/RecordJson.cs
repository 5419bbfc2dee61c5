using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;

namespace Crm.Server.Api;

/// <summary>The wire shape of records and events, and strict reading of request bodies.</summary>
internal static class RecordJson
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly string[] ReadOnlyFields = ["id", "version", "type", "createdAt", "updatedAt", "deleted", "links"];

    /// <summary>A response of one record, written straight from its stored JSON (no intermediate tree).</summary>
    public static IResult Result(CrmRecord record, int status = StatusCodes.Status200OK, string? location = null) =>
        new RecordsResult([record], null, single: true, status, location);

    /// <summary>A response of one page of records.</summary>
    public static IResult PageResult(Page<CrmRecord> page, long? total = null) => new RecordsResult(page.Items, page.Next, single: false, StatusCodes.Status200OK, null, total);

    /// <summary>Writes a record: <c>{ id, version, createdAt, updatedAt, deleted?, ...fields, links? }</c>.</summary>
    public static void Write(Utf8JsonWriter w, CrmRecord record)
    {
        w.WriteStartObject();
        w.WriteString("id", record.Id);
        w.WriteNumber("version", record.Version);
        w.WriteString("createdAt", record.CreatedAt.UtcDateTime);
        w.WriteString("updatedAt", record.UpdatedAt.UtcDateTime);
        if (record.Deleted) w.WriteBoolean("deleted", true);
        using (var fields = JsonDocument.Parse(record.FieldsJson))
        {
            foreach (var property in fields.RootElement.EnumerateObject()) property.WriteTo(w);
        }

        if (record.Links.Count > 0)
        {
            w.WriteStartArray("links");
            foreach (var l in record.Links)
            {
                w.WriteStartObject();
                w.WriteString("type", l.TargetType);
                w.WriteString("id", l.TargetId);
                if (l.Role is null) w.WriteNull("role");
                else w.WriteString("role", l.Role);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    /// <summary>A record as a JSON object, in the shape <see cref="Write"/> gives it.</summary>
    public static JsonObject ToJson(CrmRecord record)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) Write(w, record);
        return JsonNode.Parse(buffer.ToArray())!.AsObject();
    }

    private sealed class RecordsResult(IReadOnlyList<CrmRecord> records, string? next, bool single, int status, string? location, long? total = null) : IResult
    {
        private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json; charset=utf-8";
            if (location is not null) http.Response.Headers.Location = location;
            await using var w = new Utf8JsonWriter(http.Response.BodyWriter, Options);
            if (single)
            {
                Write(w, records[0]);
            }
            else
            {
                w.WriteStartObject();
                w.WriteStartArray("items");
                foreach (var r in records) Write(w, r);
                w.WriteEndArray();
                if (next is null) w.WriteNull("next");
                else w.WriteString("next", next);
                if (total is { } count) w.WriteNumber("total", count);
                w.WriteEndObject();
            }

            await w.FlushAsync(http.RequestAborted);
        }
    }

    public static JsonObject ToJson(CrmEvent e) => new()
    {
        ["eventId"] = e.EventId.ToString(),
        ["stream"] = e.StreamId,
        ["version"] = e.Version,
        ["position"] = e.Position,
        ["type"] = e.Type,
        ["schemaVersion"] = e.SchemaVersion,
        ["time"] = e.Time.UtcDateTime,
        ["actor"] = e.Actor.ToString(),
        ["correlationId"] = e.CorrelationId,
        ["causationId"] = e.CausationId,
        ["data"] = JsonNode.Parse(e.PayloadJson),
    };

    public static JsonObject Page<T>(Page<T> page, Func<T, JsonObject> map) => new()
    {
        ["items"] = new JsonArray([.. page.Items.Select(i => (JsonNode)map(i))]),
        ["next"] = page.Next,
    };

    /// <summary>
    /// Reads the body as one JSON object, or throws a <see cref="ValidationException"/> naming what is wrong
    /// (<see cref="BodyTooLargeException"/> past the size limit).
    /// </summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, long maxBytes, bool optional = false)
    {
        if (request.ContentLength > maxBytes) throw new BodyTooLargeException(maxBytes);
        if (request.ContentType is { } ct && !ct.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ValidationException("body", "send JSON with Content-Type: application/json");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new BodyTooLargeException(maxBytes);
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return optional ? [] : throw new ValidationException("body", "a JSON object is required");
        }

        var bytes = buffer.ToArray();
        try
        {
            StrictUtf8.GetCharCount(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ValidationException("body", "is not valid UTF-8");
        }

        try
        {
            var node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false });
            return node as JsonObject ?? throw new ValidationException("body", "must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new ValidationException("body", "is not valid JSON: " + ex.Message);
        }
    }

    /// <summary>Removes the read-only members a client may echo back (id, version, timestamps, links).</summary>
    public static JsonObject WithoutReadOnly(JsonObject body)
    {
        foreach (var field in ReadOnlyFields) body.Remove(field);
        return body;
    }

    /// <summary>Parses an <c>asOf</c> / time query value.</summary>
    public static DateTimeOffset? ParseTime(string? value, string name)
    {
        if (string.IsNullOrEmpty(value)) return null;
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : throw new ValidationException(name, "must be an ISO 8601 date and time");
    }

    /// <summary>Reads <c>If-Match</c> (<c>"3"</c>, <c>W/"3"</c> or <c>3</c>) as an expected version.</summary>
    public static long? ParseIfMatch(HttpRequest request)
    {
        var value = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(value) || value == "*") return null;
        var trimmed = value.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal)) trimmed = trimmed[2..];
        trimmed = trimmed.Trim('"');
        return long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new ValidationException("If-Match", "must be the record's ETag, e.g. \"3\"");
    }

    public static string ETag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";
}

/// <summary>The request body is larger than the configured limit.</summary>
internal sealed class BodyTooLargeException(long limit) : Exception($"The request body is larger than {limit} bytes.")
{
    public long Limit { get; } = limit;
}
