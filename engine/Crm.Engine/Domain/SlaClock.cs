using System.Globalization;
using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>Where an SLA clock stands.</summary>
public enum SlaStatus
{
    /// <summary>Counting towards its due time.</summary>
    Running,

    /// <summary>Past its warning time, not yet due.</summary>
    Warning,

    /// <summary>Met in time.</summary>
    Met,

    /// <summary>Its due time passed unmet (it stays breached when met later).</summary>
    Breached,
}

/// <summary>One SLA clock of a case (first response or resolution): when it started, warns and is due, and its outcome.</summary>
public sealed record SlaClock(DateTimeOffset StartedAt, DateTimeOffset WarnAt, DateTimeOffset DueAt, SlaStatus Status)
{
    public DateTimeOffset? WarnedAt { get; init; }
    public DateTimeOffset? MetAt { get; init; }
    public DateTimeOffset? BreachedAt { get; init; }

    /// <summary>True while the clock still counts (running or warning).</summary>
    public bool IsOpen => Status is SlaStatus.Running or SlaStatus.Warning;

    /// <summary>The clock once what it measures happened at <paramref name="at"/>; a breached clock stays breached and notes the time.</summary>
    public SlaClock MetBy(DateTimeOffset at) => Status switch
    {
        SlaStatus.Running or SlaStatus.Warning => this with { Status = SlaStatus.Met, MetAt = at },
        SlaStatus.Breached when MetAt is null => this with { MetAt = at },
        _ => this,
    };

    /// <summary>The clock as stored in events and shown on the record.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["startedAt"] = FieldValidator.FormatTime(StartedAt),
            ["warnAt"] = FieldValidator.FormatTime(WarnAt),
            ["dueAt"] = FieldValidator.FormatTime(DueAt),
            ["status"] = StatusName(Status),
        };
        if (WarnedAt is { } warned) o["warnedAt"] = FieldValidator.FormatTime(warned);
        if (MetAt is { } met) o["metAt"] = FieldValidator.FormatTime(met);
        if (BreachedAt is { } breached) o["breachedAt"] = FieldValidator.FormatTime(breached);
        return o;
    }

    /// <summary>Reads a clock written by <see cref="ToJson"/>; null for a missing one.</summary>
    public static SlaClock? FromJson(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        return new SlaClock(Time(o["startedAt"])!.Value, Time(o["warnAt"])!.Value, Time(o["dueAt"])!.Value, ParseStatus(o["status"]!.GetValue<string>()))
        {
            WarnedAt = Time(o["warnedAt"]),
            MetAt = Time(o["metAt"]),
            BreachedAt = Time(o["breachedAt"]),
        };
    }

    public static string StatusName(SlaStatus status) => status.ToString().ToLowerInvariant();

    private static SlaStatus ParseStatus(string text) => Enum.Parse<SlaStatus>(text, ignoreCase: true);

    internal static DateTimeOffset? Time(JsonNode? node) =>
        node is JsonValue v ? DateTimeOffset.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;
}
