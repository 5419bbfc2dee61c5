using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Storage;

namespace Crm.Engine.Reports;

/// <summary>A deal as the reports see it.</summary>
internal sealed record DealFact(
    string Id, DateTimeOffset CreatedAt, DateTimeOffset StageAt, string? Pipeline, string? Stage, decimal Amount, string? Currency,
    DateOnly? CloseDate, decimal? Probability, string? OwnerId, string? Source);

/// <summary>A contact as the funnel sees it: its source, when it was created and the furthest lifecycle stage it reached.</summary>
internal sealed record ContactFact(string Id, DateTimeOffset CreatedAt, string? Source, int Reached);

/// <summary>A case as the case report sees it.</summary>
internal sealed record CaseFact(string Id, DateTimeOffset CreatedAt, string? QueueId, DateTimeOffset? RespondedAt, DateTimeOffset? ResolvedAt, bool UnderSla, bool Breached);

/// <summary>An interaction: who owned it and when it happened.</summary>
internal sealed record InteractionFact(string Id, DateTimeOffset At, string? OwnerId);

/// <summary>A task: who it is assigned to and when it was done.</summary>
internal sealed record TaskFact(string Id, string? AssigneeId, DateTimeOffset? DoneAt);

/// <summary>The live (not deleted) records of one tenant in the reports projection, read into typed facts.</summary>
internal sealed class ReportFacts
{
    private const int PageSize = 5000;

    public List<DealFact> Deals { get; } = [];
    public List<ContactFact> Contacts { get; } = [];
    public List<CaseFact> Cases { get; } = [];
    public List<InteractionFact> Interactions { get; } = [];
    public List<TaskFact> Tasks { get; } = [];

    /// <summary>Reads the rows of the record types given (all when none is given).</summary>
    public static async Task<ReportFacts> LoadAsync(IProjectionStore store, string tenant, IReadOnlyCollection<string> types, CancellationToken cancellationToken)
    {
        var facts = new ReportFacts();
        foreach (var type in types)
        {
            string? after = null;
            while (true)
            {
                var rows = await store.ListRowsAsync(ReportFactsProjection.ProjectionName, tenant, type + "/", after, PageSize, cancellationToken).ConfigureAwait(false);
                foreach (var row in rows) facts.Add(type, row);
                if (rows.Count < PageSize) break;
                after = rows[^1].Key;
            }
        }

        return facts;
    }

    private void Add(string type, ProjectionRow row)
    {
        if (JsonNode.Parse(row.DataJson) is not JsonObject data || data["deleted"]?.GetValue<bool>() == true) return;
        var id = row.Key[(type.Length + 1)..];
        var f = data["f"] as JsonObject ?? [];
        var created = Time(data["createdAt"])!.Value;
        switch (type)
        {
            case RecordTypes.Deal:
                Deals.Add(new DealFact(id, created, Time(data["stageAt"]) ?? created, Text(f["pipeline"]), Text(f["stage"]), Number(f["amount"]) ?? 0,
                    Text(f["currency"]), Date(f["closeDate"]), Number(f["probability"]), Text(f["ownerId"]), Text(f["source"])));
                break;
            case RecordTypes.Contact:
                Contacts.Add(new ContactFact(id, created, Text(f["source"]), data["reached"]?.GetValue<int>() ?? -1));
                break;
            case RecordTypes.Case:
                Cases.Add(new CaseFact(id, created, Text(f["queueId"]), Time(data["respondedAt"]), Time(data["resolvedAt"]),
                    data["sla"]?.GetValue<bool>() == true, data["breached"]?.GetValue<bool>() == true));
                break;
            case RecordTypes.Interaction:
                Interactions.Add(new InteractionFact(id, Time(f["occurredAt"]) ?? created, Text(f["ownerId"])));
                break;
            case RecordTypes.Task:
                Tasks.Add(new TaskFact(id, Text(f["assigneeId"]), Time(data["doneAt"])));
                break;
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } s ? s : null;

    private static decimal? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<decimal>() : null;

    private static DateTimeOffset? Time(JsonNode? node) =>
        Text(node) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static DateOnly? Date(JsonNode? node) =>
        Text(node) is { } s && DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
}
