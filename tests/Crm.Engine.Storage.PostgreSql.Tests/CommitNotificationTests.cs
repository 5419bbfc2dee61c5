using Npgsql;
using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// A log follower on one node wakes when another node commits, without waiting for its poll: the nodes here poll once
/// an hour, so only a notification can wake them within the test's patience.
/// </summary>
public sealed class CommitNotificationTests(PostgreSqlServerFixture server) : StoreTests(server)
{
    private PostgreSqlEventStore _follower = null!;

    private PostgreSqlEventStore Writer => Store;

    public override async ValueTask InitializeAsync()
    {
        Options.CommitPollInterval = TimeSpan.FromHours(1);
        await base.InitializeAsync();
        _follower = await PostgreSqlEventStore.OpenAsync(Options, cancellationToken: Ct);
    }

    public override async ValueTask DisposeAsync()
    {
        await _follower.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_follower_wakes_when_another_node_commits()
    {
        var head = await _follower.GetHeadPositionAsync(Ct);

        var waiting = await FollowerWaitingAsync(head);
        var committed = await Writer.AppendAsync(Appends.New("contact/next"), Ct);

        await waiting.WaitAsync(Patience, Ct);
        await _follower.WaitForCommitAsync(committed.FirstPosition - 1, Ct).WaitAsync(Patience, Ct);
        Assert.Contains(committed.FirstPosition, (await _follower.ReadAllAsync(head, 10, Ct)).Select(e => e.Position));
    }

    [Fact]
    public async Task A_follower_still_wakes_after_its_listening_connection_was_cut()
    {
        var channel = $"LISTEN crm_commits_{_follower.Schema}";
        await using var admin = _follower.DataSource.CreateCommand("SELECT pid FROM pg_stat_activity WHERE query = @listen AND backend_type = 'client backend'");
        admin.Parameters.AddWithValue("listen", channel);
        var listeners = new List<int>();
        await Poll.UntilAsync(async () => (listeners = await PidsAsync(admin)).Count == 2);

        // Both nodes listen; cut them all, as a failover or a network fault would, and wait for them to come back.
        await using (var cut = _follower.DataSource.CreateCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY (@pids)"))
        {
            cut.Parameters.AddWithValue("pids", listeners.ToArray());
            await cut.ExecuteNonQueryAsync(Ct);
        }

        await Poll.UntilAsync(async () => (await PidsAsync(admin)) is { Count: 2 } now && !now.Intersect(listeners).Any());
        var head = await _follower.GetHeadPositionAsync(Ct);
        var waiting = await FollowerWaitingAsync(head);
        await Writer.AppendAsync(Appends.New("contact/next"), Ct);

        await waiting.WaitAsync(Patience, Ct);
    }

    /// <summary>
    /// The follower waiting for a commit after <paramref name="head"/>, which it reads while a third node's transaction
    /// holds the high-water mark: the writer's first commit stays out of its sight until that transaction gives up.
    /// Whether or not news of that commit woke it before, only news of a later commit can wake it now.
    /// </summary>
    private async Task<Task> FollowerWaitingAsync(long head)
    {
        await using var thirdNode = await OtherNodeAppend.WriteAsync(Writer, Appends.New("contact/held"));
        var waiting = _follower.WaitForCommitAsync(head, Ct);
        await Writer.AppendAsync(Appends.New("contact/hidden"), Ct);
        Assert.Equal(head, await _follower.GetHeadPositionAsync(Ct));
        await thirdNode.RollbackAsync();
        return waiting;
    }

    private static async Task<List<int>> PidsAsync(NpgsqlCommand command)
    {
        var pids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            pids.Add(reader.GetInt32(0));
        }

        return pids;
    }
}
