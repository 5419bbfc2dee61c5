using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>
/// Where a campaign stands: its status (<c>draft</c>, <c>running</c>, <c>completed</c>, <c>cancelled</c>), how far
/// through its segment it has queued messages, and what became of them — a fold of the campaign's own events.
/// </summary>
public sealed record CampaignProgress
{
    public const string Draft = "draft";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    /// <summary>The fields a campaign shows that the engine keeps.</summary>
    public static IReadOnlyList<string> Fields { get; } = ["status", "launchedAt", "completedAt", "queued", "sent", "failed", "blocked", "blockedByReason"];

    public string Status { get; init; } = Draft;
    public DateTimeOffset? LaunchedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Where the next page of recipients starts (null: at the beginning, or nothing left once completed).</summary>
    public string? Cursor { get; init; }

    /// <summary>Pages of recipients queued so far; the next page's number.</summary>
    public int Pages { get; init; }

    public long Queued { get; init; }
    public long Sent { get; init; }
    public long Failed { get; init; }
    public IReadOnlyDictionary<string, long> Blocked { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>The progress after one of the campaign's events.</summary>
    public CampaignProgress Apply(string type, JsonObject payload, DateTimeOffset time) => type switch
    {
        EventTypes.CampaignLaunched => this with { Status = Running, LaunchedAt = time },
        EventTypes.CampaignProgressed => this with
        {
            Cursor = (string?)payload["cursor"],
            Pages = Pages + 1,
            Queued = Queued + ((long?)payload["queued"] ?? 0),
        },
        EventTypes.CampaignCompleted => this with { Status = Completed, CompletedAt = time, Cursor = null },
        EventTypes.CampaignCancelled => this with { Status = Cancelled, CompletedAt = time },
        EventTypes.CampaignTallied => this with
        {
            Sent = Sent + ((long?)payload["sent"] ?? 0),
            Failed = Failed + ((long?)payload["failed"] ?? 0),
            Blocked = AddBlocked(payload["blocked"] as JsonObject),
        },
        _ => this,
    };

    /// <summary>The campaign's engine-kept fields, as a reader sees them.</summary>
    public void WriteTo(JsonObject view)
    {
        view["status"] = Status;
        if (LaunchedAt is { } launched) view["launchedAt"] = FieldValidator.FormatTime(launched);
        if (CompletedAt is { } completed) view["completedAt"] = FieldValidator.FormatTime(completed);
        view["queued"] = Queued;
        view["sent"] = Sent;
        view["failed"] = Failed;
        view["blocked"] = Blocked.Values.Sum();
        view["blockedByReason"] = new JsonObject([.. Blocked.Select(b => KeyValuePair.Create(b.Key, (JsonNode?)b.Value))]);
    }

    private SortedDictionary<string, long> AddBlocked(JsonObject? counts)
    {
        var blocked = new SortedDictionary<string, long>(Blocked.ToDictionary(), StringComparer.Ordinal);
        foreach (var (code, count) in counts ?? [])
        {
            blocked[code] = blocked.GetValueOrDefault(code) + ((long?)count ?? 0);
        }

        return blocked;
    }
}
