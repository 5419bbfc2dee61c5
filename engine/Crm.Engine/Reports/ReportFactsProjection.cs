using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Projections;
using Crm.Engine.Storage;

namespace Crm.Engine.Reports;

/// <summary>
/// The <c>reports</c> projection: one small row per contact, deal, case, interaction and task (key = its stream id)
/// holding what the reports need — the fields they group and sum by and the times things happened, all taken from
/// events. Which stages count as won or lost, rates and fiscal calendars are read from settings when a report runs.
/// </summary>
internal sealed class ReportFactsProjection : ILogProjection
{
    /// <summary>The projection's name.</summary>
    public const string ProjectionName = "reports";

    /// <summary>The fields kept per record type.</summary>
    private static readonly Dictionary<string, HashSet<string>> Kept = new(StringComparer.Ordinal)
    {
        [RecordTypes.Contact] = ["source", "lifecycleStage", "ownerId"],
        [RecordTypes.Deal] = ["pipeline", "stage", "amount", "currency", "closeDate", "probability", "ownerId", "source"],
        [RecordTypes.Case] = ["queueId", "priority", "status"],
        [RecordTypes.Interaction] = ["ownerId", "kind", "occurredAt"],
        [RecordTypes.Task] = ["assigneeId", "status"],
    };

    public string Name => ProjectionName;

    /// <summary>The record type of a stream this projection keeps, or null.</summary>
    internal static string? TypeOf(string streamId)
    {
        var slash = streamId.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0) return null;
        var type = streamId[..slash];
        return Kept.ContainsKey(type) ? type : null;
    }

    public void CollectKeys(CrmEvent e, ISet<ProjectionKey> keys)
    {
        if (TypeOf(e.StreamId) is not null) keys.Add(new ProjectionKey(e.Tenant, e.StreamId));
    }

    public void Apply(CrmEvent e, ProjectionRows rows)
    {
        if (TypeOf(e.StreamId) is not { } type || EventTypes.IsTimerEvent(e.Type)) return;
        var key = new ProjectionKey(e.Tenant, e.StreamId);
        var row = rows.Get(key);
        if (row is null && e.Type != EventTypes.RecordCreated) return;
        var payload = EventUpcaster.Payload(e);
        var time = FieldValidator.FormatTime(e.Time);
        switch (e.Type)
        {
            case EventTypes.RecordCreated:
                row = new JsonObject { ["createdAt"] = time, ["deleted"] = false, ["f"] = new JsonObject() };
                if (payload["fields"] is JsonObject fields)
                {
                    foreach (var (name, value) in fields) SetField(type, row, name, value, time);
                }

                if (type == RecordTypes.Deal) row["stageAt"] = time;
                break;
            case EventTypes.RecordUpdated:
                if (payload["changes"] is JsonObject changes)
                {
                    foreach (var (path, value) in changes) SetField(type, row!, path, value, time);
                }

                break;
            case EventTypes.RecordDeleted:
                row!["deleted"] = true;
                break;
            case EventTypes.RecordRestored:
                row!["deleted"] = false;
                break;
            case EventTypes.DealStageChanged:
                row!["stageAt"] = time;
                if (payload["to"] is JsonValue stage) ((JsonObject)row["f"]!)["stage"] = stage.DeepClone();
                if (payload["pipeline"] is JsonValue pipeline) ((JsonObject)row["f"]!)["pipeline"] = pipeline.DeepClone();
                break;
            case EventTypes.CaseStatusChanged:
            {
                var status = payload["to"]?.GetValue<string>();
                // As the case's own state counts it: any move away from "new" after creation is the first response.
                if (payload["from"] is not null && status != "new") row!["respondedAt"] ??= time;
                if (status is "resolved" or "closed") row!["resolvedAt"] ??= time;
                else row!.Remove("resolvedAt");
                break;
            }

            case EventTypes.CaseResponded:
                row!["respondedAt"] ??= time;
                break;
            case EventTypes.CaseSlaApplied:
                row!["sla"] = true;
                break;
            case EventTypes.CaseSlaBreached:
                row!["breached"] = true;
                break;
            default:
                return;
        }

        rows.Set(key, row!);
    }

    private static void SetField(string type, JsonObject row, string name, JsonNode? value, string time)
    {
        if (!Kept[type].Contains(name)) return;
        var fields = (JsonObject)row["f"]!;
        if (value is null) fields.Remove(name);
        else fields[name] = value.DeepClone();

        if (type == RecordTypes.Contact && name == "lifecycleStage" && value is JsonValue stage)
        {
            // The furthest stage a contact ever reached, so a funnel counts it even after it moved back.
            var index = IndexOf(RecordSchema.LifecycleStages, stage);
            if (index > (row["reached"]?.GetValue<int>() ?? -1)) row["reached"] = index;
        }

        if (type == RecordTypes.Task && name == "status")
        {
            var done = value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "done";
            if (done) row["doneAt"] ??= time;
            else row.Remove("doneAt");
        }
    }

    private static int IndexOf(IReadOnlyList<string> list, JsonValue value)
    {
        if (value.GetValueKind() != JsonValueKind.String) return -1;
        var text = value.GetValue<string>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == text) return i;
        }

        return -1;
    }
}
