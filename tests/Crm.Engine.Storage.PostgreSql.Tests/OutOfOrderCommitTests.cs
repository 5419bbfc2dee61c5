using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// Positions are handed out when a transaction writes, but transactions commit in any order. A follower of the log
/// must not pass a position whose transaction is still running, or it would never see that event.
/// </summary>
public sealed class OutOfOrderCommitTests(PostgreSqlServerFixture server) : StoreTests(server)
{
    [Fact]
    public async Task A_reader_waits_for_a_lower_position_that_commits_after_a_higher_one()
    {
        var before = await Store.GetHeadPositionAsync(Ct);

        // The first writer takes the lower position and is held inside its transaction…
        await using var slow = await OtherNodeAppend.WriteAsync(Store, Appends.New("contact/slow"));
        var slowResult = slow.Result;

        // …while the second takes the next position and commits.
        var fastResult = await Store.AppendAsync(Appends.New("contact/fast"), Ct);
        Assert.True(slowResult.LastPosition < fastResult.FirstPosition);

        // The higher position is committed, but a follower that took it would skip the lower one forever.
        Assert.Empty(await Store.ReadAllAsync(before, 100, Ct));
        Assert.Equal(before, await Store.GetHeadPositionAsync(Ct));
        var waiting = Store.WaitForCommitAsync(before, Ct);
        Assert.False(waiting.IsCompleted);

        await slow.CommitAsync();
        await waiting.WaitAsync(Patience, Ct);

        var events = await Store.ReadAllAsync(before, 100, Ct);
        Assert.Equal(["contact/slow", "contact/fast"], events.Select(e => e.StreamId));
        Assert.Equal([slowResult.FirstPosition, fastResult.FirstPosition], events.Select(e => e.Position));
        Assert.Equal(fastResult.LastPosition, await Store.GetHeadPositionAsync(Ct));
    }

    [Fact]
    public async Task A_rolled_back_append_leaves_a_gap_that_does_not_stop_readers()
    {
        var before = await Store.GetHeadPositionAsync(Ct);
        await using (var abandoned = await OtherNodeAppend.WriteAsync(Store, Appends.New("contact/abandoned")))
        {
            await abandoned.RollbackAsync();
        }

        var kept = await Store.AppendAsync(Appends.New("contact/kept"), Ct);

        var events = await Store.ReadAllAsync(before, 100, Ct);
        Assert.Equal("contact/kept", Assert.Single(events).StreamId);
        Assert.Equal(kept.LastPosition, await Store.GetHeadPositionAsync(Ct));
    }
}
