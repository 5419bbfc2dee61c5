using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Filtering;

namespace Crm.Server;

/// <summary>RFC 9457 problem responses with stable <c>type</c> URNs (<c>urn:crm:problem:&lt;code&gt;</c>).</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes a problem response.</summary>
    public static Task Write(HttpContext context, int status, string code, string title, string detail, IReadOnlyList<FieldError>? errors = null, JsonObject? extensions = null)
    {
        var body = new JsonObject
        {
            ["type"] = "urn:crm:problem:" + code,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = context.Request.Path.Value,
        };
        if (errors is { Count: > 0 })
        {
            var map = new JsonObject();
            foreach (var group in errors.GroupBy(e => e.Field)) map[group.Key] = new JsonArray([.. group.Select(e => (JsonNode)e.Message)]);
            body["errors"] = map;
        }

        if (extensions is not null)
        {
            foreach (var (k, v) in extensions) body[k] = v?.DeepClone();
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        return context.Response.WriteAsync(body.ToJsonString(Json));
    }

    /// <summary>A result that writes a problem.</summary>
    public static IResult Result(int status, string code, string title, string detail, IReadOnlyList<FieldError>? errors = null, JsonObject? extensions = null) =>
        new ProblemResult(status, code, title, detail, errors, extensions);

    public static IResult Validation(string field, string message) =>
        Result(400, "validation", "Invalid request", $"{field}: {message}", [new FieldError(field, message)]);

    public static IResult NotFound(string type, string id) =>
        Result(404, "not_found", "Not found", $"No {type} with id '{id}'.");

    public static IResult Forbidden(string detail) => Result(403, "forbidden", "Forbidden", detail);

    /// <summary>Maps a known exception to its problem, or null for an unexpected exception.</summary>
    public static IResult? FromException(Exception ex) =>
        Info(ex) is { } p ? new ProblemResult(p.Status, p.Code, p.Title, p.Detail, p.Errors, p.Extensions) : null;

    /// <summary>The problem as a JSON object (for per-row results of a batch), or null for an unexpected exception.</summary>
    public static JsonObject? Describe(Exception ex)
    {
        if (Info(ex) is not { } p) return null;
        var o = new JsonObject { ["status"] = p.Status, ["type"] = "urn:crm:problem:" + p.Code, ["title"] = p.Title, ["detail"] = p.Detail };
        if (p.Errors is { Count: > 0 })
        {
            var map = new JsonObject();
            foreach (var group in p.Errors.GroupBy(e => e.Field)) map[group.Key] = new JsonArray([.. group.Select(e => (JsonNode)e.Message)]);
            o["errors"] = map;
        }

        if (p.Extensions is not null)
        {
            foreach (var (k, v) in p.Extensions) o[k] = v?.DeepClone();
        }

        return o;
    }

    private sealed record ProblemInfo(int Status, string Code, string Title, string Detail, IReadOnlyList<FieldError>? Errors = null, JsonObject? Extensions = null);

    private static ProblemInfo? Info(Exception ex) => ex switch
    {
        FilterSyntaxException f => new(400, "filter", "Invalid filter", f.Message, [new FieldError("filter", f.Message)], new JsonObject { ["position"] = f.Position }),
        ValidationException v => new(400, "validation", "Invalid request", v.Message, v.Errors),
        Crm.Engine.Rules.RuleRejectedException r => new(422, "rule_rejected", "Refused by a rule", r.Message, r.Errors, new JsonObject { ["rules"] = new JsonArray([.. r.Rules.Select(x => (JsonNode)x)]) }),
        Crm.Engine.Rules.RuleFailedException f => new(422, "rule_failed", "A rule failed", f.Message, null, new JsonObject { ["rule"] = f.RuleId, ["ruleVersion"] = f.RuleVersion }),
        Crm.Engine.Rules.RuleLimitExceededException l => new(422, "rule_limit", "A rule hit a limit", l.Message, null, new JsonObject { ["limit"] = l.Limit }),
        Crm.Engine.Rules.RuleScriptException s => new(422, "rule_error", "A rule failed", s.Message),
        RecordNotFoundException n => new(404, "not_found", "Not found", n.Message),
        ConcurrencyConflictException c => new(412, "conflict", "Version mismatch", c.Message, null, new JsonObject { ["currentVersion"] = c.ActualVersion }),
        DuplicateRecordException d => new(409, "duplicate", "Duplicate", d.Message, [new FieldError(d.Field, d.Message)], new JsonObject { ["existingId"] = d.ExistingId }),
        MergeRefusedException m => new(409, "merge_refused", "Merge refused", m.Message, [new FieldError(m.Field, m.Message)],
            m.MergedInto is null ? null : new JsonObject { ["mergedInto"] = m.MergedInto }),
        RecordExistsException e => new(409, "exists", "Already exists", e.Message),
        ApprovalNotPendingException a => new(409, "approval_not_pending", "No pending approval", a.Message, null,
            a.PendingRequestId is null ? null : new JsonObject { ["pendingRequestId"] = a.PendingRequestId }),
        Api.ForbiddenException x => new(403, "forbidden", "Forbidden", x.Message),
        Api.BodyTooLargeException b => new(413, "body_too_large", "Request body too large", b.Message),
        BadHttpRequestException b => new(b.StatusCode, "bad_request", "Bad request", b.Message),
        ArgumentException a => new(400, "validation", "Invalid request", a.Message),
        // The silo is starting, stopping or overloaded: worth a retry, not a 500.
        Orleans.Runtime.OrleansException or TimeoutException => new(503, "unavailable", "Service unavailable", "The engine could not take the request right now; retry shortly."),
        JsonException j => new(400, "malformed_json", "Malformed JSON", j.Message),
        _ => null,
    };

    private sealed class ProblemResult(int status, string code, string title, string detail, IReadOnlyList<FieldError>? errors, JsonObject? extensions) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => Write(httpContext, status, code, title, detail, errors, extensions);
    }
}
