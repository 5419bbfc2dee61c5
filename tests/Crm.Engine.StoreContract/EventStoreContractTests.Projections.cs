using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

/// <summary>Projection rows and checkpoints: written together under a fence, from the checkpoint they started at, and reset to zero.</summary>
public abstract partial class EventStoreContractTests
{
    private static ProjectionCommit Projected(LeaseFence fence, long from, long to, IReadOnlyList<ProjectionRow>? upserts = null, IReadOnlyList<ProjectionKey>? deletes = null) =>
        new(fence, "reports", from, to, upserts ?? [], deletes ?? []);

    private static ProjectionRow Projection(string key, string data = """{"n":1}""", string tenant = Tenant) => new(tenant, key, data);

    [Fact]
    public async Task A_projection_stores_its_rows_and_checkpoint_together()
    {
        var store = await NewStoreAsync();
        var fence = (await store.Coordination.TryAcquireLeaseAsync("projection/reports", "node-a", T0, LeaseTime, Ct))!;
        Assert.Equal(0, await store.Projections.GetCheckpointAsync("reports", Ct));

        await store.Projections.CommitAsync(Projected(fence, 0, 12, [Projection("deal/a", """{"amount":10}"""), Projection("deal/b"), Projection("contact/c")]), Ct);
        await store.Projections.CommitAsync(Projected(fence, 12, 20, [Projection("deal/a", """{"amount":25}""")], [new ProjectionKey(Tenant, "deal/b")]), Ct);

        Assert.Equal(20, await store.Projections.GetCheckpointAsync("reports", Ct));
        Assert.Equal(0, await store.Projections.GetCheckpointAsync("segments", Ct));
        var deals = await store.Projections.ListRowsAsync("reports", Tenant, "deal/", null, 10, Ct);
        Assert.Equal([("deal/a", """{"amount":25}""")], deals.Select(r => (r.Key, r.DataJson)));
        var got = await store.Projections.GetRowsAsync("reports", [new ProjectionKey(Tenant, "contact/c"), new ProjectionKey(Tenant, "deal/b"), new ProjectionKey("other", "contact/c")], Ct);
        Assert.Equal(["contact/c"], got.Select(r => r.Key));
    }

    [Fact]
    public async Task Projection_rows_are_listed_per_tenant_by_key_prefix_in_pages()
    {
        var store = await NewStoreAsync();
        var fence = (await store.Coordination.TryAcquireLeaseAsync("projection/reports", "node-a", T0, LeaseTime, Ct))!;
        await store.Projections.CommitAsync(Projected(fence, 0, 5,
        [
            Projection("deal/3"), Projection("deal/1"), Projection("deal/2"), Projection("deals/x"), Projection("dea"),
            Projection("deal/9", tenant: "other"),
        ]), Ct);

        var first = await store.Projections.ListRowsAsync("reports", Tenant, "deal/", null, 2, Ct);
        Assert.Equal(["deal/1", "deal/2"], first.Select(r => r.Key));
        var rest = await store.Projections.ListRowsAsync("reports", Tenant, "deal/", first[^1].Key, 2, Ct);
        Assert.Equal(["deal/3"], rest.Select(r => r.Key));
        Assert.All(rest, r => Assert.Equal(Tenant, r.Tenant));
        Assert.Equal(["deal/9"], (await store.Projections.ListRowsAsync("reports", "other", "deal/", null, 10, Ct)).Select(r => r.Key));
    }

    [Fact]
    public async Task A_projection_commit_from_a_moved_checkpoint_or_a_lost_lease_writes_nothing()
    {
        var store = await NewStoreAsync();
        var old = (await store.Coordination.TryAcquireLeaseAsync("projection/reports", "node-a", T0, LeaseTime, Ct))!;
        await store.Projections.CommitAsync(Projected(old, 0, 10, [Projection("deal/a")]), Ct);

        var moved = await Assert.ThrowsAsync<ProjectionCheckpointMovedException>(() =>
            store.Projections.CommitAsync(Projected(old, 4, 15, [Projection("deal/b")]), Ct));
        Assert.Equal(10, moved.Actual);

        var successor = (await store.Coordination.TryAcquireLeaseAsync("projection/reports", "node-b", T0.AddSeconds(11), LeaseTime, Ct))!;
        await Assert.ThrowsAsync<LeaseLostException>(() => store.Projections.CommitAsync(Projected(old, 10, 15, [Projection("deal/c")]), Ct));

        Assert.Equal(10, await store.Projections.GetCheckpointAsync("reports", Ct));
        Assert.Equal(["deal/a"], (await store.Projections.ListRowsAsync("reports", Tenant, "deal/", null, 10, Ct)).Select(r => r.Key));
        await store.Projections.CommitAsync(Projected(successor, 10, 15, [Projection("deal/c")]), Ct);
        Assert.Equal(15, await store.Projections.GetCheckpointAsync("reports", Ct));
    }

    [Fact]
    public async Task A_reset_drops_a_projections_rows_and_checkpoint_and_its_writer_starts_again_from_zero()
    {
        var store = await NewStoreAsync();
        var fence = (await store.Coordination.TryAcquireLeaseAsync("projection/reports", "node-a", T0, LeaseTime, Ct))!;
        var other = (await store.Coordination.TryAcquireLeaseAsync("projection/segments", "node-a", T0, LeaseTime, Ct))!;
        await store.Projections.CommitAsync(Projected(fence, 0, 30, [Projection("deal/a"), Projection("deal/b", tenant: "other")]), Ct);
        await store.Projections.CommitAsync(new ProjectionCommit(other, "segments", 0, 30, [Projection("deal/a")], []), Ct);

        await store.Projections.ResetAsync("reports", Ct);

        Assert.Equal(0, await store.Projections.GetCheckpointAsync("reports", Ct));
        Assert.Empty(await store.Projections.ListRowsAsync("reports", Tenant, "", null, 10, Ct));
        Assert.Empty(await store.Projections.ListRowsAsync("reports", "other", "", null, 10, Ct));
        Assert.Single(await store.Projections.ListRowsAsync("segments", Tenant, "", null, 10, Ct));
        Assert.Equal(30, await store.Projections.GetCheckpointAsync("segments", Ct));

        // The writer that was at 30 is refused and learns where to start again.
        var moved = await Assert.ThrowsAsync<ProjectionCheckpointMovedException>(() => store.Projections.CommitAsync(Projected(fence, 30, 40, [Projection("deal/z")]), Ct));
        Assert.Equal(0, moved.Actual);
        await store.Projections.CommitAsync(Projected(fence, 0, 40, [Projection("deal/a")]), Ct);
        Assert.Equal(40, await store.Projections.GetCheckpointAsync("reports", Ct));
    }
}
