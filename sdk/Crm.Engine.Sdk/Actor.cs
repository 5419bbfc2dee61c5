namespace Crm.Engine;

/// <summary>What kind of party caused a change; part of every event's audit data.</summary>
public enum ActorKind
{
    System = 0,
    User = 1,
    ApiKey = 2,
    Rule = 3,
    Plugin = 4,
}

/// <summary>Who or what caused a change: a user, an API key, a rule (with its version) or a plugin.</summary>
[GenerateSerializer, Immutable, Alias("crm.Actor")]
public sealed record Actor(
    [property: Id(0)] ActorKind Kind,
    [property: Id(1)] string Id,
    [property: Id(2)] string? Version = null)
{
    /// <summary>The engine itself (migrations, defaults).</summary>
    public static Actor System { get; } = new(ActorKind.System, "system");

    /// <summary>A user of the tenant.</summary>
    public static Actor User(string userId) => new(ActorKind.User, userId);

    /// <summary>A rule at a given version.</summary>
    public static Actor Rule(string ruleId, int version) => new(ActorKind.Rule, ruleId, version.ToString(global::System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Compact text form, e.g. <c>user:u1</c> or <c>rule:score-leads@3</c>.</summary>
    public override string ToString() =>
        Version is null ? $"{Kind.ToString().ToLowerInvariant()}:{Id}" : $"{Kind.ToString().ToLowerInvariant()}:{Id}@{Version}";

    /// <summary>Parses the form produced by <see cref="ToString"/>.</summary>
    public static Actor Parse(string text)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0 || !Enum.TryParse<ActorKind>(text[..colon], ignoreCase: true, out var kind))
        {
            return new Actor(ActorKind.System, text);
        }

        var rest = text[(colon + 1)..];
        var at = rest.LastIndexOf('@');
        return at > 0 ? new Actor(kind, rest[..at], rest[(at + 1)..]) : new Actor(kind, rest);
    }
}
