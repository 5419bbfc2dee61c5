using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Crm.Engine.Storage;
using Crm.Engine.Testing;

namespace Crm.Engine.IntegrationTests;

/// <summary>
/// Checks a data directory's read model against the log: every record stream has a row at the stream's last version,
/// and every row holds what a fresh grain folds from the stream.
/// </summary>
internal static class LogAudit
{
    private const int PageSize = 1000;

    /// <summary>The last version of every stream in the whole log, read in position order.</summary>
    public static async Task<Dictionary<(string Tenant, string Stream), long>> ReadLastVersionsAsync(IEventStore store)
    {
        var last = new Dictionary<(string Tenant, string Stream), long>();
        var position = 0L;
        while (true)
        {
            var page = await store.ReadAllAsync(position, PageSize);
            if (page.Count == 0) return last;
            foreach (var e in page)
            {
                Assert.True(e.Position > position, $"The log went from position {position} back to {e.Position}.");
                position = e.Position;
                var key = (e.Tenant, e.StreamId);
                var previous = last.GetValueOrDefault(key);
                Assert.True(e.Version == previous + 1, $"Stream {e.StreamId} of {e.Tenant} has version {e.Version} after {previous}.");
                last[key] = e.Version;
            }
        }
    }

    /// <summary>Every difference between the read model and a fresh fold of the log, in words; empty when they agree.</summary>
    public static async Task<IReadOnlyList<string>> FindReadModelDriftAsync(CrmTestEngine crm, IReadOnlyDictionary<(string Tenant, string Stream), long> lastVersions)
    {
        var problems = new ConcurrentQueue<string>();
        var rows = new List<(string Tenant, RecordRow Row)>();
        foreach (var tenant in lastVersions.Keys.Select(k => k.Tenant).Distinct())
        {
            foreach (var type in RecordTypes.All)
            {
                string? cursor = null;
                do
                {
                    var page = await crm.Store.ReadModel.QueryAsync(tenant, type, new RecordQuery { IncludeDeleted = true, Limit = PageSize, Cursor = cursor });
                    rows.AddRange(page.Items.Select(r => (tenant, r)));
                    cursor = page.Next;
                }
                while (cursor is not null);
            }
        }

        var recordStreams = lastVersions.Keys.Where(k => RecordTypes.IsKnown(k.Stream.Split('/')[0])).ToHashSet();
        var rowStreams = rows.Select(r => (r.Tenant, Stream: StreamIds.ForRecord(r.Row.Type, r.Row.Id))).ToHashSet();
        foreach (var missing in recordStreams.Except(rowStreams)) problems.Enqueue($"{missing.Stream} of {missing.Tenant} has events but no read-model row");
        foreach (var orphan in rowStreams.Except(recordStreams)) problems.Enqueue($"{orphan.Stream} of {orphan.Tenant} has a read-model row but no events");

        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (entry, _) =>
        {
            var (tenant, row) = entry;
            var stream = StreamIds.ForRecord(row.Type, row.Id);
            if (lastVersions.TryGetValue((tenant, stream), out var lastVersion) && row.Version != lastVersion)
            {
                problems.Enqueue($"{stream}: read model at version {row.Version}, log at {lastVersion}");
            }

            var folded = await crm.ForTenant(tenant).GetAsync(row.Type, row.Id);
            if (row.Deleted)
            {
                if (folded is not null) problems.Enqueue($"{stream}: read model says deleted, the grain does not");
                return;
            }

            if (folded is null)
            {
                problems.Enqueue($"{stream}: read model has a live row, the grain finds no record");
                return;
            }

            if (folded.Version != row.Version) problems.Enqueue($"{stream}: read model at version {row.Version}, the grain at {folded.Version}");
            if (!JsonNode.DeepEquals(JsonNode.Parse(row.DataJson), JsonNode.Parse(folded.FieldsJson)))
            {
                problems.Enqueue($"{stream}: read model holds {row.DataJson}, the grain folds {folded.FieldsJson}");
            }

            if (!row.Links.SequenceEqual(folded.Links)) problems.Enqueue($"{stream}: read model links differ from the grain's");
            if (row.CreatedAt != folded.CreatedAt || row.UpdatedAt != folded.UpdatedAt) problems.Enqueue($"{stream}: read model times differ from the grain's");
        });

        return [.. problems];
    }
}
