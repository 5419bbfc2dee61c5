using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;

namespace Crm.Engine.Tests;

/// <summary>
/// The node's shared window of the log on a real SQLite store: followers at the head, a little behind and far behind
/// each read exactly what the store holds, followers at the same head share one store read, and the window stays
/// within its bound however long the log grows.
/// </summary>
public sealed class RecentLogTests() : SqliteStoreTest("recentlog")
{
    /// <summary>Appends <paramref name="streams"/> streams of <paramref name="events"/> events each.</summary>
    private async Task AppendAsync(int streams, int events, string prefix)
    {
        var requests = Enumerable.Range(0, streams).Select(i => new AppendRequest
        {
            Tenant = "acme",
            StreamId = $"contact/{prefix}-{i}",
            ExpectedVersion = 0,
            Events = [.. Enumerable.Range(0, events).Select(n => new NewEvent
            {
                EventId = Guid.CreateVersion7(),
                Type = "record.updated",
                PayloadJson = $$"""{"n":{{n}}}""",
                Time = DateTimeOffset.UtcNow,
                Actor = Actor.System,
            })],
        }).ToList();
        var outcomes = await Store.AppendManyAsync(requests, Ct);
        Assert.All(outcomes, o => Assert.Null(o.Error));
    }

    /// <summary>Everything after <paramref name="after"/>, read in pages of <paramref name="page"/> through <paramref name="log"/>.</summary>
    private static async Task<List<long>> ReadAllAsync(IEventStore log, long after, int page)
    {
        var positions = new List<long>();
        while (true)
        {
            var events = await log.ReadAllAsync(after, page, Ct);
            if (events.Count == 0) return positions;
            Assert.True(events.Count <= page);
            positions.AddRange(events.Select(e => e.Position));
            after = events[^1].Position;
        }
    }

    [Fact]
    public async Task Followers_anywhere_in_the_log_read_exactly_what_theStore_holds()
    {
        await AppendAsync(streams: 600, events: 5, "a");
        var expected = await ReadAllAsync(Store, 0, 10_000);
        Assert.Equal(3_000, expected.Count);
        var log = new RecentLog(Store, capacity: 1_000);

        // One follower builds the window up to the head; then one reads from inside it, one from far behind it, and
        // followers with odd page sizes interleave with new appends.
        Assert.Equal(expected, await ReadAllAsync(log, 0, 256));
        var inside = expected[^700];
        Assert.Equal(expected.SkipWhile(p => p <= inside), await ReadAllAsync(log, inside, 97));
        var readsBefore = log.StoreReads;
        Assert.Equal(expected.SkipWhile(p => p <= expected[10]), await ReadAllAsync(log, expected[10], 333));
        Assert.True(log.StoreReads > readsBefore, "a follower behind the window reads the store");

        await AppendAsync(streams: 300, events: 3, "b");
        var all = await ReadAllAsync(Store, 0, 10_000);
        var followers = new[] { 0L, expected[1_500], expected[^1], expected[^300] }
            .Select(start => Task.Run(() => ReadAllAsync(log, start, 64), Ct)).ToList();
        var results = await Task.WhenAll(followers);
        Assert.Equal(all, results[0]);
        Assert.Equal(all.SkipWhile(p => p <= expected[1_500]), results[1]);
        Assert.Equal(all.SkipWhile(p => p <= expected[^1]), results[2]);
        Assert.Equal(all.SkipWhile(p => p <= expected[^300]), results[3]);
    }

    [Fact]
    public async Task Followers_at_the_same_head_share_oneStore_read()
    {
        await AppendAsync(streams: 100, events: 2, "a");
        var log = new RecentLog(Store);

        var pages = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => log.ReadAllAsync(0, 256, Ct), Ct)));

        Assert.All(pages, page => Assert.Equal(200, page.Count));
        Assert.Equal(1, log.StoreReads);

        // At the head with nothing new: each asks the store (nothing to share), and gets nothing.
        Assert.Empty(await log.ReadAllAsync(pages[0][^1].Position, 256, Ct));
    }

    [Fact]
    public async Task The_window_stays_within_its_bound_as_the_log_grows()
    {
        var log = new RecentLog(Store, capacity: 2_000);
        long after = 0;
        for (var round = 0; round < 20; round++)
        {
            await AppendAsync(streams: 250, events: 2, $"r{round}");
            var positions = await ReadAllAsync(log, after, 500);
            Assert.Equal(500, positions.Count);
            after = positions[^1];
            Assert.True(log.Count < 2_000 + RecentLog.HeadReadSize, $"{log.Count} events held");
        }

        Assert.True(log.Count >= 2_000 - RecentLog.HeadReadSize, "the window keeps recent events");
    }
}
