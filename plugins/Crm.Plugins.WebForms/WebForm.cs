using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Engine;

namespace Crm.Plugins.WebForms;

/// <summary>A form a tenant publishes: which contact fields it takes, and the consent it asks for, word for word.</summary>
internal sealed partial record WebForm
{
    /// <summary>Contact fields a form may fill in.</summary>
    public static readonly string[] ContactFields = ["firstName", "lastName", "email", "phone", "company", "title"];

    public required string Id { get; init; }
    public required string Name { get; init; }

    /// <summary>The contact fields the form takes (<c>email</c> always).</summary>
    public required IReadOnlyList<string> Fields { get; init; }

    /// <summary>The consent purpose a ticked consent box grants; null when the form asks for none.</summary>
    public string? ConsentPurpose { get; init; }

    /// <summary>The consent text shown next to the box, exactly: it becomes the proof.</summary>
    public string? ConsentText { get; init; }

    /// <summary>Tags added to the contact.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Where a browser goes after a plain form post (303); JSON posts get a JSON answer.</summary>
    public string? RedirectUrl { get; init; }

    public static bool IsValidId(string id) => FormId().IsMatch(id);

    /// <summary>The form defined by <paramref name="body"/>, or <see cref="ValidationException"/> naming every bad field.</summary>
    public static WebForm Parse(string id, JsonObject body)
    {
        var errors = new List<FieldError>();
        if (!IsValidId(id)) errors.Add(new FieldError("id", "must be 1 to 64 lower-case letters, digits or '-'"));
        var unknown = body.Select(p => p.Key).Except(["name", "fields", "consentPurpose", "consentText", "tags", "redirectUrl"]).FirstOrDefault();
        if (unknown is not null) errors.Add(new FieldError(unknown, "is not a form setting"));
        var name = (string?)body["name"];
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) errors.Add(new FieldError("name", "is required (at most 200 characters)"));
        var fields = Strings(body["fields"], "fields", errors) ?? [];
        foreach (var f in fields.Where(f => !ContactFields.Contains(f))) errors.Add(new FieldError("fields", $"'{f}' is not one of: {string.Join(", ", ContactFields)}"));
        var purpose = (string?)body["consentPurpose"];
        var text = (string?)body["consentText"];
        if ((purpose is null) != (text is null)) errors.Add(new FieldError(purpose is null ? "consentPurpose" : "consentText", "consentPurpose and consentText go together"));
        if (text is { Length: > 5_000 }) errors.Add(new FieldError("consentText", "must be at most 5000 characters"));
        var tags = Strings(body["tags"], "tags", errors) ?? [];
        var redirect = (string?)body["redirectUrl"];
        if (redirect is not null && !(Uri.TryCreate(redirect, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")) errors.Add(new FieldError("redirectUrl", "must be an absolute http(s) URL"));
        if (errors.Count > 0) throw new ValidationException(errors);
        return new WebForm
        {
            Id = id, Name = name!.Trim(), Fields = [.. fields.Append("email").Distinct()], ConsentPurpose = purpose, ConsentText = text,
            Tags = tags, RedirectUrl = redirect,
        };
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["name"] = Name,
        ["fields"] = new JsonArray([.. Fields.Select(f => (JsonNode)f)]),
        ["consentPurpose"] = ConsentPurpose,
        ["consentText"] = ConsentText,
        ["tags"] = new JsonArray([.. Tags.Select(t => (JsonNode)t)]),
        ["redirectUrl"] = RedirectUrl,
    };

    public static WebForm FromJson(JsonObject o) => Parse((string)o["id"]!, new JsonObject
    {
        ["name"] = o["name"]?.DeepClone(), ["fields"] = o["fields"]?.DeepClone(), ["consentPurpose"] = o["consentPurpose"]?.DeepClone(),
        ["consentText"] = o["consentText"]?.DeepClone(), ["tags"] = o["tags"]?.DeepClone(), ["redirectUrl"] = o["redirectUrl"]?.DeepClone(),
    });

    private static List<string>? Strings(JsonNode? node, string field, List<FieldError> errors)
    {
        if (node is null) return null;
        if (node is JsonArray a && a.All(x => x is JsonValue v && v.TryGetValue<string>(out _))) return [.. a.Select(x => (string)x!)];
        errors.Add(new FieldError(field, "must be an array of strings"));
        return null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex FormId();
}
