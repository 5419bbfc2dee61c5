using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Engine;

namespace Crm.Plugins.Webhooks;

/// <summary>A tenant's subscription: where to POST, which events, and the secret deliveries are signed with.</summary>
internal sealed partial record WebhookSubscription(string Id, string Url, IReadOnlyList<string> Events, string Secret, bool Active, string? Description)
{
    public static bool IsValidId(string id) => SubscriptionId().IsMatch(id);

    /// <summary>A new signing secret: <c>whsec_</c> and 32 random bytes in base64, as Standard Webhooks receivers expect.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Whether the subscription wants an event named <paramref name="name"/> (<c>*</c>, <c>contact.*</c> or an exact name).</summary>
    public bool Wants(string name) => Active && Events.Any(p => p == "*" || p == name || (p.EndsWith(".*", StringComparison.Ordinal) && name.StartsWith(p[..^1], StringComparison.Ordinal)));

    public static WebhookSubscription Parse(string id, JsonObject body, WebhookSubscription? existing)
    {
        var errors = new List<FieldError>();
        if (!IsValidId(id)) errors.Add(new FieldError("id", "must be 1 to 64 lower-case letters, digits or '-'"));
        var unknown = body.Select(p => p.Key).Except(["url", "events", "active", "description"]).FirstOrDefault();
        if (unknown is not null) errors.Add(new FieldError(unknown, "is not a subscription setting"));
        var url = (string?)body["url"] ?? existing?.Url;
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")) errors.Add(new FieldError("url", "must be an absolute http(s) URL"));
        List<string>? events = body["events"] is JsonArray a && a.All(x => x is JsonValue v && v.TryGetValue<string>(out _)) ? [.. a.Select(x => (string)x!)] : null;
        if (body["events"] is not null && events is null) errors.Add(new FieldError("events", "must be an array of event names"));
        events ??= existing?.Events.ToList();
        if (events is null || events.Count == 0) errors.Add(new FieldError("events", "name at least one event, e.g. \"deal.stageChanged\", \"contact.*\" or \"*\""));
        else if (events.Any(e => e.Length is 0 or > 100)) errors.Add(new FieldError("events", "event names are 1 to 100 characters"));
        var active = body["active"] is JsonValue b && b.TryGetValue<bool>(out var on) ? on : existing?.Active ?? true;
        var description = (string?)body["description"] ?? existing?.Description;
        if (description is { Length: > 500 }) errors.Add(new FieldError("description", "must be at most 500 characters"));
        if (errors.Count > 0) throw new ValidationException(errors);
        return new WebhookSubscription(id, url!, events!, existing?.Secret ?? NewSecret(), active, description);
    }

    public JsonObject ToJson(bool withSecret) => new()
    {
        ["id"] = Id,
        ["url"] = Url,
        ["events"] = new JsonArray([.. Events.Select(e => (JsonNode)e)]),
        ["active"] = Active,
        ["description"] = Description,
        ["secret"] = withSecret ? Secret : null,
    };

    public static WebhookSubscription FromJson(JsonObject o) => new(
        (string)o["id"]!, (string)o["url"]!, [.. ((JsonArray)o["events"]!).Select(e => (string)e!)], (string)o["secret"]!,
        (bool?)o["active"] ?? true, (string?)o["description"]);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex SubscriptionId();
}
