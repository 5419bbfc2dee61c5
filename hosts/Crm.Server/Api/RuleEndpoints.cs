using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Crm.Engine;
using Crm.Engine.Rules;

namespace Crm.Server.Api;

/// <summary>
/// <c>/api/v1/rules</c>: a tenant's rules — list (with health), create, new versions, enable, disable, delete, every
/// version — plus dry-run on one record and backtest over stored history. Admins only: rules change every record.
/// </summary>
internal static class RuleEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new RuleActionConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void MapRules(this RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/rules").WithTags("rules");

        rules.MapGet("/", async (CallerContext rc) =>
        {
            rc.EnsureAdmin();
            return Ok(new { items = await rc.Crm.Rules.ListAsync() });
        }).WithName("list-rules");

        rules.MapPost("/", async (CallerContext rc) =>
        {
            rc.EnsureAdmin();
            var draft = Draft(await rc.ReadBodyAsync(), null);
            var saved = await rc.Crm.Rules.CreateAsync(draft, rc.Write());
            return Results.Json(saved, Json, statusCode: 201);
        }).WithName("create-rule").Accepts<JsonObject>("application/json");

        rules.MapGet("/{id}", async (CallerContext rc, string id) =>
        {
            rc.EnsureAdmin();
            return await rc.Crm.Rules.GetAsync(id) is { } rule ? Ok(rule) : Problems.NotFound("rule", id);
        }).WithName("get-rule");

        rules.MapPut("/{id}", async (CallerContext rc, string id) =>
        {
            rc.EnsureAdmin();
            var draft = Draft(await rc.ReadBodyAsync(), id);
            return Ok(await rc.Crm.Rules.UpdateAsync(draft, rc.Write()));
        }).WithName("update-rule").Accepts<JsonObject>("application/json");

        rules.MapDelete("/{id}", async (CallerContext rc, string id) =>
        {
            rc.EnsureAdmin();
            await rc.Crm.Rules.DeleteAsync(id, rc.Write());
            return Results.NoContent();
        }).WithName("delete-rule");

        rules.MapGet("/{id}/versions", async (CallerContext rc, string id) =>
        {
            rc.EnsureAdmin();
            var versions = await rc.Crm.Rules.GetVersionsAsync(id);
            return versions.Count == 0 ? Problems.NotFound("rule", id) : Ok(new { items = versions });
        }).WithName("list-rule-versions");

        rules.MapGet("/{id}/versions/{version}", async (CallerContext rc, string id, int version) =>
        {
            rc.EnsureAdmin();
            var found = (await rc.Crm.Rules.GetVersionsAsync(id)).FirstOrDefault(v => v.Version == version);
            return found is null ? Problems.NotFound("rule version", $"{id}@{version}") : Ok(found);
        }).WithName("get-rule-version");

        rules.MapPost("/{id}/enable", async (CallerContext rc, string id) =>
        {
            rc.EnsureAdmin();
            return Ok(await rc.Crm.Rules.EnableAsync(id, rc.Write()));
        }).WithName("enable-rule");

        rules.MapPost("/{id}/disable", async (CallerContext rc, string id) =>
        {
            rc.EnsureAdmin();
            var body = rc.HasBody ? await rc.ReadBodyAsync() : [];
            return Ok(await rc.Crm.Rules.DisableAsync(id, Text(body, "reason", 2_000), rc.Write()));
        }).WithName("disable-rule");

        rules.MapPost("/dry-run", async (CallerContext rc) =>
        {
            rc.EnsureAdmin();
            var body = await rc.ReadBodyAsync();
            Only(body, "ruleId", "source", "recordType", "recordId", "eventId");
            var eventId = Text(body, "eventId", 100);
            var request = new RuleDryRunRequest
            {
                RuleId = Text(body, "ruleId", 100),
                Source = Text(body, "source", int.MaxValue),
                RecordType = Text(body, "recordType", 64) ?? throw new ValidationException("recordType", "is required"),
                RecordId = Text(body, "recordId", 64) ?? throw new ValidationException("recordId", "is required"),
                EventId = eventId is null ? null : Guid.TryParse(eventId, out var g) ? g : throw new ValidationException("eventId", "is not an event id"),
            };
            if (request.RuleId is null && request.Source is null) throw new ValidationException("ruleId", "name a saved rule, or give a source");
            return Ok(await rc.Crm.Rules.DryRunAsync(request));
        }).WithName("dry-run-rule").Accepts<JsonObject>("application/json");

        rules.MapPost("/backtest", async (CallerContext rc) =>
        {
            rc.EnsureAdmin();
            var body = await rc.ReadBodyAsync();
            Only(body, "ruleIds", "sources", "from", "to", "maxEvents", "maxSamples");
            var request = new RuleBacktestRequest
            {
                RuleIds = body["ruleIds"] switch
                {
                    null => [],
                    JsonArray a when a.All(x => x is JsonValue v && v.GetValueKind() == JsonValueKind.String) => [.. a.Select(x => (string)x!)],
                    _ => throw new ValidationException("ruleIds", "must be an array of rule ids"),
                },
                Sources = body["sources"] switch
                {
                    null => new Dictionary<string, string>(),
                    JsonObject o when o.All(p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String) => o.ToDictionary(p => p.Key, p => (string)p.Value!),
                    _ => throw new ValidationException("sources", "must be an object of rule id → JavaScript source"),
                },
                From = RecordJson.ParseTime(Text(body, "from", 64), "from"),
                To = RecordJson.ParseTime(Text(body, "to", 64), "to"),
                MaxEvents = Int(body, "maxEvents") ?? 100_000,
                MaxSamples = Int(body, "maxSamples") ?? 100,
            };
            return Ok(await rc.Crm.Rules.BacktestAsync(request));
        }).WithName("backtest-rules").Accepts<JsonObject>("application/json");
    }

    private static IResult Ok(object value) => Results.Json(value, Json);

    private static RuleDraft Draft(JsonObject body, string? id)
    {
        Only(body, "id", "source", "name", "description", "enabled");
        var bodyId = Text(body, "id", 100);
        if (id is not null && bodyId is not null && bodyId != id) throw new ValidationException("id", "does not match the rule in the path");
        return new RuleDraft
        {
            Id = id ?? bodyId ?? throw new ValidationException("id", "is required"),
            Source = Text(body, "source", int.MaxValue) ?? throw new ValidationException("source", "is required: the rule's JavaScript"),
            Name = Text(body, "name", 200),
            Description = Text(body, "description", 2_000),
            Enabled = body["enabled"] switch
            {
                null => true,
                JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                _ => throw new ValidationException("enabled", "must be true or false"),
            },
        };
    }

    private static void Only(JsonObject body, params string[] allowed)
    {
        var unknown = body.Select(p => p.Key).FirstOrDefault(k => !allowed.Contains(k));
        if (unknown is not null) throw new ValidationException(unknown, "is not a known field here");
    }

    private static string? Text(JsonObject body, string field, int max) => body[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length <= max => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => throw new ValidationException(field, $"must be at most {max} characters"),
        _ => throw new ValidationException(field, "must be a string"),
    };

    private static int? Int(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        _ => throw new ValidationException(field, "must be a whole number"),
    };

    /// <summary>Actions read as <c>{ kind, args }</c> with the arguments as JSON, not as a string.</summary>
    private sealed class RuleActionConverter : JsonConverter<RuleAction>
    {
        public override RuleAction Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, RuleAction value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString("kind", value.Kind);
            writer.WritePropertyName("args");
            value.Args().WriteTo(writer);
            writer.WriteEndObject();
        }
    }
}
