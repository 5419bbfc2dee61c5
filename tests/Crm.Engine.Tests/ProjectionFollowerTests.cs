using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Projections;
using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Engine.Tests;

/// <summary>
/// The projection follower on a real SQLite store: it follows the log into rows, starts again from zero after a reset
/// with the same rows, and skips an event its projection cannot apply instead of stopping.
/// </summary>
public sealed class ProjectionFollowerTests() : SqliteStoreTest("projection")
{
    /// <summary>Counts the events of each stream and sums their <c>n</c>; an event of type <c>poison</c> throws.</summary>
    private sealed class CountingProjection : ILogProjection
    {
        public int Applied;

        public string Name => "counting";

        public void CollectKeys(CrmEvent e, ISet<ProjectionKey> keys) => keys.Add(new ProjectionKey(e.Tenant, e.StreamId));

        public void Apply(CrmEvent e, ProjectionRows rows)
        {
            Interlocked.Increment(ref Applied);
            if (e.Type == "poison") throw new FormatException("unreadable");
            var key = new ProjectionKey(e.Tenant, e.StreamId);
            var row = rows.Get(key) ?? new JsonObject { ["events"] = 0, ["sum"] = 0 };
            row["events"] = row["events"]!.GetValue<int>() + 1;
            row["sum"] = row["sum"]!.GetValue<int>() + (JsonNode.Parse(e.PayloadJson)!["n"]?.GetValue<int>() ?? 0);
            rows.Set(key, row);
        }
    }

    private async Task AppendAsync(string stream, long expected, params (string Type, int N)[] events) =>
        await Store.AppendAsync(new AppendRequest
        {
            Tenant = "acme",
            StreamId = stream,
            ExpectedVersion = expected,
            Events = [.. events.Select(e => new NewEvent
            {
                EventId = Guid.NewGuid(), Type = e.Type, PayloadJson = new JsonObject { ["n"] = e.N }.ToJsonString(),
                Time = DateTimeOffset.UtcNow, Actor = Actor.User("u"),
            })],
        }, Ct);

    private async Task<string> RowsAsync() =>
        string.Join(" ", (await Store.Projections.ListRowsAsync("counting", "acme", "", null, 100, Ct)).Select(r => $"{r.Key}={r.DataJson}"));

    private async Task CaughtUpAsync() => await Eventually.TrueAsync(async () =>
        await Store.Projections.GetCheckpointAsync("counting", Ct) >= await Store.GetHeadPositionAsync(Ct));

    [Fact]
    public async Task A_projection_follows_the_log_into_rows_and_a_reset_builds_the_same_rows_again()
    {
        await AppendAsync("a", 0, ("x", 1), ("x", 2));
        await AppendAsync("b", 0, ("x", 10));
        var projection = new CountingProjection();
        var follower = new ProjectionFollower(projection, Store, TimeProvider.System, new CoordinationOptions(), NullLogger.Instance);
        var fence = (await Store.Coordination.TryAcquireLeaseAsync(follower.LeaseName, "node", DateTimeOffset.UtcNow, TimeSpan.FromHours(1), Ct))!;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = follower.RunAsync(fence, stop.Token);

        await CaughtUpAsync();
        await AppendAsync("a", 2, ("x", 100));
        await CaughtUpAsync();
        var before = await RowsAsync();
        Assert.Equal("""a={"events":3,"sum":103} b={"events":1,"sum":10}""", before);
        Assert.Equal(4, projection.Applied);

        await Store.Projections.ResetAsync("counting", Ct);
        await CaughtUpAsync();

        Assert.Equal(before, await RowsAsync());
        Assert.Equal(8, projection.Applied); // every event applied once more, from zero
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task An_event_the_projection_cannot_apply_is_skipped_and_the_rest_still_count()
    {
        await AppendAsync("a", 0, ("x", 1), ("poison", 5), ("x", 2));
        var follower = new ProjectionFollower(new CountingProjection(), Store, TimeProvider.System, new CoordinationOptions(), NullLogger.Instance);
        var fence = (await Store.Coordination.TryAcquireLeaseAsync(follower.LeaseName, "node", DateTimeOffset.UtcNow, TimeSpan.FromHours(1), Ct))!;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = follower.RunAsync(fence, stop.Token);

        await CaughtUpAsync();

        Assert.Equal("""a={"events":2,"sum":3}""", await RowsAsync());
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }
}
