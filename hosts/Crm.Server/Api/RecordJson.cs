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

    /// <summary><c>{ id, version, createdAt, updatedAt, ...fields, links }</c>.</summary>
    public static JsonObject ToJson(CrmRecord record)
    {
        var o = new JsonObject
        {
            ["id"] = record.Id,
            ["version"] = record.Version,
            ["createdAt"] = record.CreatedAt.UtcDateTime,
            ["updatedAt"] = record.UpdatedAt.UtcDateTime,
        };
        if (record.Deleted) o["deleted"] = true;
        foreach (var (k, v) in record.Fields) o[k] = v?.DeepClone();
        if (record.Links.Count > 0)
        {
            o["links"] = new JsonArray([.. record.Links.Select(l => (JsonNode)new JsonObject
            {
                ["type"] = l.TargetType,
                ["id"] = l.TargetId,
                ["role"] = l.Role,
            })]);
        }

        return o;
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
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, long maxBytes)
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

        if (buffer.Length == 0) throw new ValidationException("body", "a JSON object is required");
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
