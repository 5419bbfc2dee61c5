using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>
/// The SLA of a case: which target applies (by its queue id, <c>*</c> for the default, and priority) and its two
/// clocks. Part of the case's fold: <c>case.slaApplied</c> sets it, <c>case.slaWarning</c> and
/// <c>case.slaBreached</c> move a clock, and the first response and resolution meet them.
/// </summary>
public sealed record CaseSla(string QueueId, string? Priority, DateTimeOffset AppliedAt, SlaClock? FirstResponse, SlaClock? Resolution)
{
    /// <summary>The first-response clock's name in events and timer names.</summary>
    public const string FirstResponseTarget = "firstResponse";

    /// <summary>The resolution clock's name in events and timer names.</summary>
    public const string ResolutionTarget = "resolution";

    /// <summary>Both clock names.</summary>
    public static IReadOnlyList<string> Targets { get; } = [FirstResponseTarget, ResolutionTarget];

    /// <summary>The clock named <paramref name="target"/>, or null.</summary>
    public SlaClock? Clock(string target) => target switch
    {
        FirstResponseTarget => FirstResponse,
        ResolutionTarget => Resolution,
        _ => null,
    };

    /// <summary>A copy with the clock named <paramref name="target"/> replaced.</summary>
    public CaseSla With(string target, SlaClock? clock) => target switch
    {
        FirstResponseTarget => this with { FirstResponse = clock },
        ResolutionTarget => this with { Resolution = clock },
        _ => this,
    };

    /// <summary>After <c>case.slaWarning</c>: a running clock warns.</summary>
    public CaseSla Warned(string target, DateTimeOffset at) =>
        Clock(target) is { Status: SlaStatus.Running } c ? With(target, c with { Status = SlaStatus.Warning, WarnedAt = at }) : this;

    /// <summary>After <c>case.slaBreached</c>: an open clock is breached.</summary>
    public CaseSla Breached(string target, DateTimeOffset at) =>
        Clock(target) is { IsOpen: true } c ? With(target, c with { Status = SlaStatus.Breached, BreachedAt = at }) : this;

    /// <summary>The clocks met by a first response and a resolution at these times (null: not happened).</summary>
    public CaseSla Observe(DateTimeOffset? firstResponseAt, DateTimeOffset? resolvedAt) => this with
    {
        FirstResponse = firstResponseAt is { } fr && FirstResponse is { } f ? f.MetBy(fr) : FirstResponse,
        Resolution = resolvedAt is { } rs && Resolution is { } r ? r.MetBy(rs) : Resolution,
    };

    /// <summary>The SLA as stored in <c>case.slaApplied</c> and shown as the case's read-only <c>sla</c> field.</summary>
    public JsonObject ToJson() => new()
    {
        ["queueId"] = QueueId,
        ["priority"] = Priority,
        ["appliedAt"] = FieldValidator.FormatTime(AppliedAt),
        ["firstResponse"] = FirstResponse?.ToJson(),
        ["resolution"] = Resolution?.ToJson(),
    };

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static CaseSla FromJson(JsonObject o) => new(
        o["queueId"]!.GetValue<string>(),
        o["priority"]?.GetValue<string>(),
        SlaClock.Time(o["appliedAt"])!.Value,
        SlaClock.FromJson(o["firstResponse"]),
        SlaClock.FromJson(o["resolution"]));
}
