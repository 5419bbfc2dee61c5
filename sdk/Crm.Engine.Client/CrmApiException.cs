using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>The server answered with an error; carries its RFC 9457 problem (type, title, detail, field errors).</summary>
public sealed class CrmApiException : Exception
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoErrors = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Creates the exception from a response's status, content type and body.</summary>
    public CrmApiException(HttpStatusCode statusCode, string? contentType, string body, TimeSpan? retryAfter = null)
        : base(Describe(statusCode, body, out var problem))
    {
        StatusCode = statusCode;
        ContentType = contentType;
        Body = body;
        RetryAfter = retryAfter;
        Problem = problem;
        ProblemType = Text(problem, "type");
        Title = Text(problem, "title");
        Detail = Text(problem, "detail");
        Errors = ReadErrors(problem);
    }

    /// <summary>The HTTP status code.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The response's media type, <c>application/problem+json</c> for the server's errors.</summary>
    public string? ContentType { get; }

    /// <summary>The problem's stable <c>type</c>, e.g. <c>urn:crm:problem:validation</c>.</summary>
    public string? ProblemType { get; }

    /// <summary>The problem's short, human title.</summary>
    public string? Title { get; }

    /// <summary>What went wrong, for a human.</summary>
    public string? Detail { get; }

    /// <summary>Field errors: field name (e.g. <c>email</c>, <c>custom.region</c>) to messages; empty when none.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Errors { get; }

    /// <summary>The whole problem object (holds extensions such as <c>position</c>, <c>currentVersion</c>, <c>existingId</c>), or null when the body was not JSON.</summary>
    public JsonObject? Problem { get; }

    /// <summary>The raw response body.</summary>
    public string Body { get; }

    /// <summary>The <c>Retry-After</c> delay of a 429 or 503, when the server sent one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The problem <c>type</c> without its <c>urn:crm:problem:</c> prefix, e.g. <c>conflict</c>.</summary>
    public string? Code => ProblemType is { } t && t.StartsWith(ProblemTypes.Prefix, StringComparison.Ordinal) ? t[ProblemTypes.Prefix.Length..] : ProblemType;

    private static string Describe(HttpStatusCode status, string body, out JsonObject? problem)
    {
        problem = null;
        try
        {
            problem = body.Length > 0 ? JsonNode.Parse(body) as JsonObject : null;
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page, say): the raw body is kept.
        }

        var title = Text(problem, "title");
        var detail = Text(problem, "detail");
        return $"{(int)status} {title ?? status.ToString()}{(detail is null ? "" : ": " + detail)}";
    }

    private static string? Text(JsonObject? o, string name) =>
        o?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> ReadErrors(JsonObject? problem)
    {
        if (problem?["errors"] is not JsonObject errors) return NoErrors;
        var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (field, messages) in errors)
        {
            map[field] = messages switch
            {
                JsonArray a => [.. a.Select(m => m is JsonValue mv && mv.GetValueKind() == JsonValueKind.String ? mv.GetValue<string>() : m?.ToJsonString() ?? "")],
                JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
                _ => [messages?.ToJsonString() ?? ""],
            };
        }

        return map;
    }
}

/// <summary>The stable problem types the server answers with.</summary>
public static class ProblemTypes
{
    /// <summary>Every problem type starts with this.</summary>
    public const string Prefix = "urn:crm:problem:";

    public const string Validation = Prefix + "validation";
    public const string Filter = Prefix + "filter";
    public const string NotFound = Prefix + "not_found";
    public const string Conflict = Prefix + "conflict";
    public const string Duplicate = Prefix + "duplicate";
    public const string Exists = Prefix + "exists";
    public const string Forbidden = Prefix + "forbidden";
    public const string Unauthorized = Prefix + "unauthorized";
    public const string BodyTooLarge = Prefix + "body_too_large";
    public const string IdempotencyMismatch = Prefix + "idempotency_mismatch";
    public const string RateLimited = Prefix + "rate_limited";

    /// <summary>An approval decision on a deal with no pending stage approval, or not the expected one (409).</summary>
    public const string ApprovalNotPending = Prefix + "approval_not_pending";
}
