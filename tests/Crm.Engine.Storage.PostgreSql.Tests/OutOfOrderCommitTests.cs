using Npgsql;
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
        await using var slow = await OpenWriterAsync();
        var slowResult = await slow.AppendAsync(Request("contact/slow"));

        // …while the second takes the next position and commits.
        var fastResult = await _store.AppendAsync(Request("contact/fast"), Ct);
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
        await using (var abandoned = await OpenWriterAsync())
        {
            await abandoned.AppendAsync(Request("contact/abandoned"));
        }

        var kept = await _store.AppendAsync(Request("contact/kept"), Ct);

        var events = await _store.ReadAllAsync(before, 100, Ct);
        Assert.Equal("contact/kept", Assert.Single(events).StreamId);
        Assert.Equal(kept.LastPosition, await _store.GetHeadPositionAsync(Ct));
    }

    private async Task<HeldTransaction> OpenWriterAsync()
    {
        var connection = await _store.DataSource.OpenConnectionAsync(Ct);
        var transaction = await connection.BeginTransactionAsync(Ct);
        return new HeldTransaction(connection, transaction, new AppendWriter(_store.Schema));
    }

    private static AppendRequest Request(string streamId) => new()
    {
        Tenant = "acme",
        StreamId = streamId,
        ExpectedVersion = 0,
        Events =
        [
            new NewEvent
            {
                EventId = Guid.NewGuid(),
                Type = "record.created",
                PayloadJson = "{}",
                Time = DateTimeOffset.UtcNow,
                Actor = Actor.User("u-1"),
            },
        ],
    };

    /// <summary>An append written by the store's own appender inside a transaction the test decides when to commit.</summary>
    private sealed class HeldTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendWriter writer) : IAsyncDisposable
    {
        public async Task<AppendResult> AppendAsync(AppendRequest request) =>
            Assert.Single(await writer.WriteAsync(connection, transaction, [request], Ct) ?? throw new InvalidOperationException("The append lost a race."));

        public Task CommitAsync() => transaction.CommitAsync(Ct);

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
