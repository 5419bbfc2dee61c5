using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Server.Auth;

namespace Crm.Server.Api;

/// <summary>Consent of contacts and first responses of cases.</summary>
internal static class ConsentEndpoints
{
    public static void MapConsent(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/contacts/{id}/consent").WithTags("contacts");
        g.MapGet("/", async (CallerContext rc, string id, string? asOf) =>
        {
            if (await rc.VisibleAsync(RecordTypes.Contact, id) is null) return Problems.NotFound(RecordTypes.Contact, id);
            var entries = await rc.Crm.GetConsentAsync(id, RecordJson.ParseTime(asOf, "asOf"));
            return Results.Json(new JsonObject { ["items"] = new JsonArray([.. entries.Select(e => (JsonNode)ToJson(e))]) });
        }).WithName("get-consent");

        g.MapGet("/check", async (CallerContext rc, string id, string? address, string? purpose, string? channel, string? at) =>
        {
            if (string.IsNullOrWhiteSpace(address)) throw new ValidationException("address", "is required");
            if (string.IsNullOrWhiteSpace(purpose)) throw new ValidationException("purpose", "is required");
            if (string.IsNullOrWhiteSpace(channel)) throw new ValidationException("channel", "is required");
            if (await rc.VisibleAsync(RecordTypes.Contact, id) is null) return Problems.NotFound(RecordTypes.Contact, id);
            var decision = await rc.Crm.MayContactAsync(id, address, purpose, channel, RecordJson.ParseTime(at, "at"));
            return Results.Json(new JsonObject
            {
                ["allowed"] = decision.Allowed,
                ["status"] = Lower(decision.Status),
                ["reason"] = decision.Reason,
                ["decidingEventId"] = decision.DecidingEventId?.ToString(),
                ["decidingEntry"] = decision.DecidingEntry is { } entry ? ToJson(entry) : null,
            });
        }).WithName("check-consent");

        g.MapPut("/{purpose}/{channel}", async (CallerContext rc, string id, string purpose, string channel) =>
        {
            rc.EnsureCanWrite(RecordTypes.Contact);
            var body = await rc.ReadBodyAsync();
            var change = new ConsentChange
            {
                Purpose = purpose,
                Channel = channel,
                Address = OptionalString(body, "address"),
                Status = ParseEnum<ConsentStatus>(body, "status", required: true),
                LawfulBasis = ParseEnum<LawfulBasis>(body, "lawfulBasis", required: false),
                Source = OptionalString(body, "source") ?? throw new ValidationException("source", "is required: where the decision came from"),
                Proof = OptionalString(body, "proof"),
                At = RecordJson.ParseTime(OptionalString(body, "at"), "at"),
            };
            var unknown = body.Select(p => p.Key).Except(["address", "status", "lawfulBasis", "source", "proof", "at"]).ToList();
            if (unknown.Count > 0) throw new ValidationException(unknown[0], "is not a consent field");
            if (await rc.VisibleAsync(RecordTypes.Contact, id) is null) return Problems.NotFound(RecordTypes.Contact, id);
            return Results.Json(ToJson(await rc.Crm.SetConsentAsync(id, change, rc.Write())));
        }).WithName("set-consent").Accepts<JsonObject>("application/json");

        api.MapPost("/cases/{id}/respond", async (CallerContext rc, string id) =>
        {
            rc.EnsureCanWrite(RecordTypes.Case);
            if (await rc.VisibleAsync(RecordTypes.Case, id) is null) return Problems.NotFound(RecordTypes.Case, id);
            return RecordJson.Result(await rc.Crm.RecordCaseResponseAsync(id, rc.Write()));
        }).WithTags("cases").WithName("respond-case");
    }

    public static JsonObject ToJson(ConsentEntry e) => new()
    {
        ["purpose"] = e.Purpose,
        ["channel"] = e.Channel,
        ["address"] = e.Address,
        ["status"] = Lower(e.Status),
        ["lawfulBasis"] = JsonNamingPolicy.CamelCase.ConvertName(e.LawfulBasis.ToString()),
        ["source"] = e.Source,
        ["proof"] = e.Proof,
        ["at"] = e.At.UtcDateTime,
        ["eventId"] = e.EventId.ToString(),
    };

    private static string Lower(ConsentStatus s) => s.ToString().ToLowerInvariant();

    internal static string? OptionalString(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new ValidationException(name, "must be a string"),
    };

    private static T ParseEnum<T>(JsonObject body, string name, bool required) where T : struct, Enum
    {
        var text = OptionalString(body, name);
        if (text is null)
        {
            return required ? throw new ValidationException(name, $"is required: one of {string.Join(", ", Names<T>())}") : default;
        }

        return Enum.TryParse<T>(text.Replace("_", ""), ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _)
            ? value
            : throw new ValidationException(name, $"must be one of {string.Join(", ", Names<T>())}");
    }

    private static IEnumerable<string> Names<T>() where T : struct, Enum => Enum.GetNames<T>().Select(JsonNamingPolicy.CamelCase.ConvertName);
}
