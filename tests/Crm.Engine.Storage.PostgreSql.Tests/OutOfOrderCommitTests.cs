using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// Positions are handed out when a transaction writes, but transactions commit in any order. A follower of the log
/// must not pass a position whose transaction is still running, or it would never see that event.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class OutOfOrderCommitTests(PostgreSqlServerFixture server) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private PostgreSqlEventStore _store = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _store = await PostgreSqlEventStore.OpenAsync(server.NewStoreOptions(), cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task A_reader_waits_for_a_lower_position_that_commits_after_a_higher_one()
    {
        var before = await _store.GetHeadPositionAsync(Ct);

        // The first writer takes the lower position and is held inside its transaction…
        await using var slow = await OtherNodeAppend.WriteAsync(_store, Appends.New("contact/slow"));
        var slowResult = slow.Result;

        // …while the second takes the next position and commits.
        var fastResult = await _store.AppendAsync(Appends.New("contact/fast"), Ct);
        Assert.True(slowResult.LastPosition < fastResult.FirstPosition);

        // The higher position is committed, but a follower that took it would skip the lower one forever.
        Assert.Empty(await _store.ReadAllAsync(before, 100, Ct));
        Assert.Equal(before, await _store.GetHeadPositionAsync(Ct));
        var waiting = _store.WaitForCommitAsync(before, Ct);
        Assert.False(waiting.IsCompleted);

        await slow.CommitAsync();
        await waiting.WaitAsync(Patience, Ct);

        var events = await _store.ReadAllAsync(before, 100, Ct);
        Assert.Equal(["contact/slow", "contact/fast"], events.Select(e => e.StreamId));
        Assert.Equal([slowResult.FirstPosition, fastResult.FirstPosition], events.Select(e => e.Position));
        Assert.Equal(fastResult.LastPosition, await _store.GetHeadPositionAsync(Ct));
    }

    [Fact]
    public async Task A_rolled_back_append_leaves_a_gap_that_does_not_stop_readers()
    {
        var before = await _store.GetHeadPositionAsync(Ct);
        await using (var abandoned = await OtherNodeAppend.WriteAsync(_store, Appends.New("contact/abandoned")))
        {
            await abandoned.RollbackAsync();
        }

        var kept = await _store.AppendAsync(Appends.New("contact/kept"), Ct);

        var events = await _store.ReadAllAsync(before, 100, Ct);
        Assert.Equal("contact/kept", Assert.Single(events).StreamId);
        Assert.Equal(kept.LastPosition, await _store.GetHeadPositionAsync(Ct));
    }
}
