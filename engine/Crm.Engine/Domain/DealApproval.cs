using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>
/// The latest stage approval of a deal: a move into <see cref="ToStage"/> held until a manager decides. Part of the
/// deal's fold (<c>deal.approvalRequested</c>, <c>…Granted</c>, <c>…Rejected</c>, <c>…Cancelled</c>) and shown as
/// its read-only <c>approval</c> field.
/// </summary>
public sealed record DealApproval
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";

    public required string RequestId { get; init; }
    public required string Status { get; init; }
    public string? Pipeline { get; init; }
    public string? FromStage { get; init; }
    public required string ToStage { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    public required string RequestedBy { get; init; }
    public required string Reason { get; init; }

    /// <summary>The field changes the approval holds back (<c>stage</c>, and <c>probability</c> and <c>pipeline</c> when they moved with it).</summary>
    public required JsonObject Held { get; init; }

    public DateTimeOffset? DecidedAt { get; init; }
    public string? DecidedBy { get; init; }
    public string? Comment { get; init; }

    public bool IsPending => Status == Pending;

    /// <summary>The request written by <c>deal.approvalRequested</c>.</summary>
    public static DealApproval Requested(JsonObject payload, DateTimeOffset at) => new()
    {
        RequestId = payload["requestId"]!.GetValue<string>(),
        Status = Pending,
        Pipeline = payload["pipeline"]?.GetValue<string>(),
        FromStage = payload["fromStage"]?.GetValue<string>(),
        ToStage = payload["toStage"]!.GetValue<string>(),
        RequestedAt = at,
        RequestedBy = payload["requestedBy"]?.GetValue<string>() ?? "",
        Reason = payload["reason"]?.GetValue<string>() ?? "",
        Held = payload["held"] is JsonObject held ? (JsonObject)held.DeepClone() : new JsonObject { ["stage"] = payload["toStage"]!.GetValue<string>() },
    };

    /// <summary>The request once decided (approved, rejected or cancelled) by a <c>deal.approval*</c> event.</summary>
    public DealApproval Decided(string status, JsonObject payload, DateTimeOffset at, Actor actor) => this with
    {
        Status = status,
        DecidedAt = at,
        DecidedBy = payload["decidedBy"]?.GetValue<string>() ?? actor.ToString(),
        Comment = payload["comment"]?.GetValue<string>() ?? payload["reason"]?.GetValue<string>(),
    };

    /// <summary>The approval as readers see it.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["requestId"] = RequestId,
            ["status"] = Status,
            ["pipeline"] = Pipeline,
            ["fromStage"] = FromStage,
            ["toStage"] = ToStage,
            ["requestedAt"] = FieldValidator.FormatTime(RequestedAt),
            ["requestedBy"] = RequestedBy,
            ["reason"] = Reason,
        };
        if (DecidedAt is { } at) o["decidedAt"] = FieldValidator.FormatTime(at);
        if (DecidedBy is not null) o["decidedBy"] = DecidedBy;
        if (Comment is not null) o["comment"] = Comment;
        return o;
    }
}
