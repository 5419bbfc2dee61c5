using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Projections;
using Crm.Engine.Reports;
using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Benchmarks;

/// <summary>
/// (k) The reports projection catching up from zero over a log of deal events (each deal created, then moved to
/// another stage with a new amount), against reading the same log alone, in batches of the same size, in the same run.
/// </summary>
internal static class ProjectionCatchUpBenchmark
{
    public sealed record Result(Measurement ReadOnly, Measurement Projection, long Rows);

    private static readonly string[] Stages = ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"];
    private static readonly string[] Currencies = ["USD", "EUR", "GBP"];

    public static async Task<List<Result>> RunAsync(int deals, int rounds, Action<string> progress)
    {
        using var directory = new TempDataDirectory("projection");
        await using var store = SqliteEventStore.Open(new SqliteStoreOptions { Path = directory.DatabasePath });
        progress($"(l) writing {2 * deals:N0} deal events");
        await StoreAppendBenchmark.AppendAllAsync(store, Creates(deals), 0, deals, 64);
        await StoreAppendBenchmark.AppendAllAsync(store, Updates(deals), 0, deals, 64);
        var head = await store.GetHeadPositionAsync();

        var results = new List<Result>();
        for (var round = 1; round <= rounds; round++)
        {
            progress($"(l) round {round} of {rounds}: reading the log alone, then the projection from zero");
            var read = await ReadAllAsync(store, head);
            await store.Projections.ResetAsync(ReportFactsProjection.ProjectionName);
            var projected = await ProjectAsync(store, head);
            var rows = (await store.Projections.ListRowsAsync(ReportFactsProjection.ProjectionName, "bench", "deal/", null, int.MaxValue)).Count;
            results.Add(new Result(read, projected, rows));
        }

        return results;
    }

    private static async Task<Measurement> ReadAllAsync(IEventStore store, long head)
    {
        var probe = Measurement.Start();
        long position = 0, events = 0;
        while (position < head)
        {
            var batch = await store.ReadAllAsync(position, ProjectionFollower.BatchSize);
            events += batch.Count;
            position = batch[^1].Position;
        }

        return probe.Stop(events);
    }

    /// <summary>Runs the engine's projection follower under a lease until its checkpoint reaches the head.</summary>
    private static async Task<Measurement> ProjectAsync(IEventStore store, long head)
    {
        var options = new CoordinationOptions();
        var projection = new ReportFactsProjection();
        var follower = new ProjectionFollower(projection, store, TimeProvider.System, options, NullLogger.Instance);
        var fence = await store.Coordination.TryAcquireLeaseAsync(follower.LeaseName, "bench", DateTimeOffset.UtcNow, TimeSpan.FromHours(1))
            ?? throw new InvalidOperationException("The projection's lease is held.");
        using var stop = new CancellationTokenSource();
        var probe = Measurement.Start();
        var running = follower.RunAsync(fence, stop.Token);
        while (await store.Projections.GetCheckpointAsync(projection.Name) < head)
        {
            if (running.IsFaulted) await running;
            await Task.Delay(2);
        }

        var measurement = probe.Stop(head);
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        await store.Coordination.ReleaseLeaseAsync(fence);
        return measurement;
    }

    private static List<AppendRequest> Creates(int deals) =>
    [
        .. Enumerable.Range(0, deals).Select(i => Append(i, 0, EventTypes.RecordCreated, new JsonObject
        {
            ["fields"] = new JsonObject
            {
                ["name"] = $"Deal {i}", ["pipeline"] = "sales", ["stage"] = Stages[i % 4], ["amount"] = 1000 + i % 9000,
                ["currency"] = Currencies[i % 3], ["closeDate"] = $"2026-{1 + i % 12:D2}-15", ["ownerId"] = $"u{i % 20}", ["source"] = $"s{i % 7}",
            },
        })),
    ];

    private static List<AppendRequest> Updates(int deals) =>
    [
        .. Enumerable.Range(0, deals).Select(i => Append(i, 1, EventTypes.RecordUpdated, new JsonObject
        {
            ["changes"] = new JsonObject { ["stage"] = Stages[(i + 1) % 6], ["amount"] = 2000 + i % 5000 },
        })),
    ];

    private static AppendRequest Append(int deal, long expectedVersion, string type, JsonObject payload) => new()
    {
        Tenant = "bench",
        StreamId = StreamIds.ForRecord(RecordTypes.Deal, $"d{deal:D7}"),
        ExpectedVersion = expectedVersion,
        Events =
        [
            new NewEvent
            {
                EventId = Guid.NewGuid(), Type = type, PayloadJson = payload.ToJsonString(),
                Time = DateTimeOffset.UtcNow, Actor = Actor.User("bench"),
            },
        ],
    };
}
