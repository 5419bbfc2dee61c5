using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>A deal's entry into a stage.</summary>
public sealed record StageEntry(string Pipeline, string Stage, DateTimeOffset EnteredAt);

/// <summary>
/// The state of one record: a fold of its stream and nothing else. Fields are stored normalised, custom fields under
/// <c>custom</c>; type-specific history (consent, deal stages, case clocks) is kept beside them.
/// </summary>
public sealed class RecordState
{
    public RecordState(string type, string id)
    {
        Type = type;
        Id = id;
    }

    public string Type { get; }
    public string Id { get; }
    public long Version { get; private set; }
    public bool Exists { get; private set; }
    public bool Deleted { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Time of the last applied event (events never go back in time within a stream).</summary>
    public DateTimeOffset LastEventTime { get; private set; }
    public JsonObject Fields { get; private set; } = [];
    public List<RecordLink> Links { get; } = [];
    public ConsentLedger Consent { get; } = new();
    public List<StageEntry> StageHistory { get; } = [];
    public DateTimeOffset? FirstResponseAt { get; private set; }

    /// <summary>The record this one was merged into (it is then also deleted).</summary>
    public string? MergedInto { get; private set; }

    /// <summary>The timers that were pending when this record was merged into another (they move to the survivor).</summary>
    public List<RecordTimer> MergedTimers { get; } = [];

    /// <summary>Ids of the records merged into this one, in merge order.</summary>
    public List<string> MergedFrom { get; } = [];

    /// <summary>The <c>record.merged</c> payload of each record merged into this one, by its id.</summary>
    public Dictionary<string, JsonObject> MergeSummaries { get; } = new(StringComparer.Ordinal);
    public DateTimeOffset? ResolvedAt { get; private set; }

    /// <summary>A contact's lead-score breakdown (the score is its sum).</summary>
    public List<ScoreEntry> ScoreBreakdown { get; private set; } = [];

    /// <summary>A case's SLA: the target that applies and its clocks (null when none applies).</summary>
    public CaseSla? Sla { get; private set; }

    /// <summary>A deal's latest stage approval, pending or decided.</summary>
    public DealApproval? Approval { get; private set; }

    /// <summary>A campaign's status, progress and outcome counts.</summary>
    public CampaignProgress Campaign { get; private set; } = new();

    /// <summary>The segments the record is a member of.</summary>
    public SortedSet<string> Segments { get; } = new(StringComparer.Ordinal);

    /// <summary>The record's pending durable timers by name.</summary>
    public SortedDictionary<string, RecordTimer> Timers { get; } = new(StringComparer.Ordinal);

    private void ApplyTimer(string type, JsonObject payload)
    {
        var name = payload["name"]!.GetValue<string>();
        if (type == EventTypes.TimerScheduled)
        {
            Timers[name] = new RecordTimer(name, payload["dueAt"]!.GetValue<DateTimeOffset>(), payload["payload"]?.ToJsonString());
        }
        else
        {
            Timers.Remove(name);
        }
    }

    /// <summary>Applies one committed event (any schema version).</summary>
    public void Apply(CrmEvent e)
    {
        var payload = EventUpcaster.Payload(e);
        Version = e.Version;
        LastEventTime = e.Time;
        if (EventTypes.IsTimerEvent(e.Type))
        {
            ApplyTimer(e.Type, payload);
            return;
        }

        if (EventTypes.IsSegmentEvent(e.Type))
        {
            var segment = payload["segmentId"]!.GetValue<string>();
            if (e.Type == EventTypes.SegmentEntered) Segments.Add(segment);
            else Segments.Remove(segment);
            return;
        }

        UpdatedAt = e.Time;
        switch (e.Type)
        {
            case EventTypes.RecordCreated:
                Exists = true;
                CreatedAt = e.Time;
                // The payload was parsed for this call alone, so its fields can be taken over rather than copied.
                Fields = payload["fields"] as JsonObject is { } f && payload.Remove("fields") ? f : [];
                break;
            case EventTypes.RecordUpdated:
                if (payload["changes"] is JsonObject changes)
                {
                    foreach (var (path, value) in changes) FieldPaths.Set(Fields, path, value?.DeepClone());
                }

                break;
            case EventTypes.RecordDeleted:
                Deleted = true;
                break;
            case EventTypes.RecordRestored:
                Deleted = false;
                break;
            case EventTypes.RecordMergedInto:
                Deleted = true;
                MergedInto = payload["survivorId"]!.GetValue<string>();
                foreach (var t in payload["timers"] as JsonArray ?? [])
                {
                    MergedTimers.Add(new RecordTimer(t!["name"]!.GetValue<string>(), t["dueAt"]!.GetValue<DateTimeOffset>(), t["payload"]?.ToJsonString()));
                }

                break;
            case EventTypes.RecordMerged:
            {
                var mergedId = payload["mergedId"]!.GetValue<string>();
                if (!MergeSummaries.ContainsKey(mergedId)) MergedFrom.Add(mergedId);
                MergeSummaries[mergedId] = (JsonObject)payload.DeepClone();
                break;
            }
            case EventTypes.RecordLinked:
            {
                var link = new RecordLink(payload["targetType"]!.GetValue<string>(), payload["targetId"]!.GetValue<string>(), payload["role"]?.GetValue<string>());
                Links.RemoveAll(l => l.TargetType == link.TargetType && l.TargetId == link.TargetId);
                Links.Add(link);
                break;
            }
            case EventTypes.RecordUnlinked:
            {
                var type = payload["targetType"]!.GetValue<string>();
                var id = payload["targetId"]!.GetValue<string>();
                Links.RemoveAll(l => l.TargetType == type && l.TargetId == id);
                break;
            }
            case EventTypes.ConsentRecorded:
                Consent.Add(new ConsentEntry
                {
                    Purpose = payload["purpose"]!.GetValue<string>(),
                    Channel = payload["channel"]!.GetValue<string>(),
                    Address = payload["address"]?.GetValue<string>() ?? ConsentLedger.AnyAddress,
                    Status = Enum.Parse<ConsentStatus>(payload["status"]!.GetValue<string>(), ignoreCase: true),
                    LawfulBasis = Enum.Parse<LawfulBasis>(payload["lawfulBasis"]?.GetValue<string>() ?? nameof(LawfulBasis.Consent), ignoreCase: true),
                    Source = payload["source"]?.GetValue<string>() ?? "unknown",
                    Proof = payload["proof"]?.GetValue<string>(),
                    At = payload["at"] is JsonValue at ? DateTimeOffset.Parse(at.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : e.Time,
                    EventId = e.EventId,
                });
                break;
            case EventTypes.DealStageChanged:
                StageHistory.Add(new StageEntry(payload["pipeline"]?.GetValue<string>() ?? "", payload["to"]!.GetValue<string>(), e.Time));
                break;
            case EventTypes.CaseStatusChanged:
            {
                var to = payload["to"]!.GetValue<string>();
                var from = payload["from"]?.GetValue<string>();
                // Any move away from "new" after creation counts as the first response if none was recorded.
                if (from is not null && to != "new") FirstResponseAt ??= e.Time;
                if (to is "resolved" or "closed") ResolvedAt ??= e.Time;
                else ResolvedAt = null;
                Sla = Sla?.Observe(FirstResponseAt, ResolvedAt);
                break;
            }
            case EventTypes.CaseResponded:
                FirstResponseAt ??= e.Time;
                Sla = Sla?.Observe(FirstResponseAt, ResolvedAt);
                break;
            case EventTypes.CaseSlaApplied:
                Sla = CaseSla.FromJson(payload);
                break;
            case EventTypes.CaseSlaRemoved:
                Sla = null;
                break;
            case EventTypes.CaseSlaWarning:
                Sla = Sla?.Warned(payload["target"]!.GetValue<string>(), e.Time);
                break;
            case EventTypes.CaseSlaBreached:
                Sla = Sla?.Breached(payload["target"]!.GetValue<string>(), e.Time);
                break;
            case EventTypes.DealApprovalRequested:
                Approval = DealApproval.Requested(payload, e.Time);
                break;
            case EventTypes.DealApprovalGranted:
                Approval = Approval?.Decided(DealApproval.Approved, payload, e.Time, e.Actor);
                break;
            case EventTypes.DealApprovalRejected:
                Approval = Approval?.Decided(DealApproval.Rejected, payload, e.Time, e.Actor);
                break;
            case EventTypes.DealApprovalCancelled:
                Approval = Approval?.Decided(DealApproval.Cancelled, payload, e.Time, e.Actor);
                break;
            case EventTypes.ScoreChanged:
                ScoreBreakdown = LeadScore.FromJson(payload["breakdown"]);
                break;
            case EventTypes.CampaignLaunched or EventTypes.CampaignProgressed or EventTypes.CampaignCompleted
                or EventTypes.CampaignCancelled or EventTypes.CampaignTallied:
                Campaign = Campaign.Apply(e.Type, payload, e.Time);
                break;
        }
    }

    /// <summary>The fields readers see: stored fields plus derived ones, custom fields limited to those defined in <paramref name="settings"/>.</summary>
    public JsonObject View(TenantSettings settings)
    {
        var view = (JsonObject)Fields.DeepClone();
        if (view["custom"] is JsonObject custom)
        {
            var defined = settings.CustomFieldsOf(Type).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in custom.Select(p => p.Key).Where(n => !defined.Contains(n)).ToList()) custom.Remove(name);
        }

        AddDerived(view);
        return view;
    }

    /// <summary>
    /// <see cref="View"/> as JSON. A record with nothing derived and no custom fields (most new records) is its stored
    /// fields as they are, written without copying them first.
    /// </summary>
    public string ViewJson(TenantSettings settings)
    {
        // A campaign's derived fields are written over its own, and custom fields need filtering: the full view.
        if (Type == RecordTypes.Campaign || Fields["custom"] is not null) return View(settings).ToJsonString();
        var derived = new JsonObject();
        AddDerived(derived);
        if (derived.Count == 0) return Fields.ToJsonString();

        // Derived fields set on the copy in the order AddDerived made them, as View does.
        var view = (JsonObject)Fields.DeepClone();
        foreach (var (name, value) in derived.ToList())
        {
            derived.Remove(name);
            view[name] = value;
        }

        return view.ToJsonString();
    }

    /// <summary>Sets the fields the engine derives from the record's history on <paramref name="view"/>.</summary>
    private void AddDerived(JsonObject view)
    {
        if (Segments.Count > 0) view["segments"] = new JsonArray([.. Segments.Select(id => (JsonNode)id)]);
        if (MergedInto is not null) view["mergedInto"] = MergedInto;
        if (MergedFrom.Count > 0) view["mergedFrom"] = new JsonArray([.. MergedFrom.Select(id => (JsonNode)id)]);
        switch (Type)
        {
            case RecordTypes.Contact:
                if (Consent.Entries.Count > 0) view["consent"] = ConsentSummary();
                if (ScoreBreakdown.Count > 0)
                {
                    view["score"] = LeadScore.Total(ScoreBreakdown);
                    view["scoreBreakdown"] = LeadScore.ToJson(ScoreBreakdown);
                }

                break;
            case RecordTypes.Deal:
                if (StageHistory.Count > 0)
                {
                    view["stageEnteredAt"] = FieldValidator.FormatTime(StageHistory[^1].EnteredAt);
                    view["stageHistory"] = new JsonArray([.. StageHistory.Select(s => (JsonNode)new JsonObject
                    {
                        ["pipeline"] = s.Pipeline,
                        ["stage"] = s.Stage,
                        ["enteredAt"] = FieldValidator.FormatTime(s.EnteredAt),
                    })]);
                }

                if (Approval is { } approval) view["approval"] = approval.ToJson();
                break;
            case RecordTypes.Case:
                if (FirstResponseAt is { } fr)
                {
                    view["firstResponseAt"] = FieldValidator.FormatTime(fr);
                    view["firstResponseMinutes"] = Math.Round((decimal)(fr - CreatedAt).TotalMinutes, 2);
                }

                if (ResolvedAt is { } rs)
                {
                    view["resolvedAt"] = FieldValidator.FormatTime(rs);
                    view["resolutionMinutes"] = Math.Round((decimal)(rs - CreatedAt).TotalMinutes, 2);
                }

                if (Sla is { } sla) view["sla"] = sla.ToJson();

                break;
            case RecordTypes.Campaign:
                Campaign.WriteTo(view);
                break;
        }
    }

    // The latest decision per purpose and channel, whatever the address: what filters such as
    // consent.marketing.email eq "granted" see. Per-address answers come from MayContact.
    private JsonObject ConsentSummary()
    {
        var summary = new JsonObject();
        foreach (var group in Consent.Current().GroupBy(e => e.Purpose).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var channels = new JsonObject();
            foreach (var byChannel in group.GroupBy(e => e.Channel).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                channels[byChannel.Key] = byChannel.MaxBy(e => e.At)!.Status.ToString().ToLowerInvariant();
            }

            summary[group.Key] = channels;
        }

        return summary;
    }

    /// <summary>The state folded from <paramref name="events"/>, stopping after <paramref name="asOf"/> when given.</summary>
    public static RecordState Fold(string type, string id, IEnumerable<CrmEvent> events, DateTimeOffset? asOf = null)
    {
        var state = new RecordState(type, id);
        foreach (var e in events)
        {
            if (asOf is not null && e.Time > asOf) break;
            state.Apply(e);
        }

        return state;
    }

    /// <summary>A string field of the stored fields, or null.</summary>
    public string? GetString(string field) =>
        Fields[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
