using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task ReadAll_returns_every_event_in_position_order()
    {
        var store = await NewStoreAsync();
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => store.AppendAsync(Request($"contact/c-{i}", 0, events: 1 + i % 3), Ct)));
        await store.AppendAsync(Request("contact/c-1", 2, events: 2, tenant: Tenant), Ct);

        var read = new List<CrmEvent>();
        long after = 0;
        while (true)
        {
            var page = await store.ReadAllAsync(after, 7, Ct);
            if (page.Count == 0)
            {
                break;
            }

            Assert.True(page.Count <= 7);
            read.AddRange(page);
            after = page[^1].Position;
        }

        var expectedCount = Enumerable.Range(0, 40).Sum(i => 1 + i % 3) + 2;
        Assert.Equal(expectedCount, read.Count);
        Assert.Equal(read.Select(e => e.Position).Order(), read.Select(e => e.Position));
        Assert.Equal(expectedCount, read.Select(e => e.Position).Distinct().Count());
        Assert.Equal(expectedCount, read.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(await store.GetHeadPositionAsync(Ct), read[^1].Position);
        foreach (var stream in read.GroupBy(e => e.StreamId))
        {
            Assert.Equal(Enumerable.Range(1, stream.Count()).Select(v => (long)v), stream.Select(e => e.Version));
        }
    }

    [Fact]
    public async Task Head_position_is_zero_for_an_empty_store_and_moves_with_each_commit()
    {
        var store = await NewStoreAsync();

        Assert.Equal(0, await store.GetHeadPositionAsync(Ct));
        var result = await store.AppendAsync(Request("contact/c-1", 0, events: 3), Ct);

        Assert.Equal(result.LastPosition, await store.GetHeadPositionAsync(Ct));
        Assert.Empty(await store.ReadAllAsync(result.LastPosition, 100, Ct));
    }

    [Fact]
    public async Task WaitForCommit_completes_after_an_append()
    {
        var store = await NewStoreAsync();
        var head = await store.GetHeadPositionAsync(Ct);

        var waiting = store.WaitForCommitAsync(head, Ct);
        Assert.False(waiting.IsCompleted);
        var result = await store.AppendAsync(Request("contact/c-1", 0), Ct);
        await waiting.WaitAsync(Patience, Ct);

        await store.WaitForCommitAsync(head, Ct).WaitAsync(Patience, Ct);
        var events = await store.ReadAllAsync(head, 10, Ct);
        Assert.Equal(result.FirstPosition, Assert.Single(events).Position);
        Assert.False(store.WaitForCommitAsync(result.LastPosition, Ct).IsCompleted);
    }

    [Fact]
    public async Task WaitForCommit_can_be_cancelled()
    {
        var store = await NewStoreAsync();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var waiting = store.WaitForCommitAsync(await store.GetHeadPositionAsync(Ct), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience, Ct));
    }
}
