using Npgsql;
using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// A transaction of another node (or session) that has written or locked and not yet committed, ended when the test
/// decides: another node caught between writing and committing.
/// </summary>
internal class OtherNodeTransaction : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    protected OtherNodeTransaction(NpgsqlDataSource dataSource, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _dataSource = dataSource;
        _connection = connection;
        _transaction = transaction;
    }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs <paramref name="sql"/> in a transaction of its own and leaves the transaction open.</summary>
    public static async Task<OtherNodeTransaction> StartAsync(PostgreSqlEventStore store, string sql, Action<NpgsqlParameterCollection>? bind = null)
    {
        var (connection, transaction) = await BeginAsync(store);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        bind?.Invoke(command.Parameters);
        await command.ExecuteNonQueryAsync(Ct);
        return new OtherNodeTransaction(store.DataSource, connection, transaction);
    }

    /// <summary>
    /// Takes the lease <paramref name="name"/> for <paramref name="owner"/> at <paramref name="now"/> with the statement
    /// a node takes a lease with, in the store's schema, and leaves the transaction open.
    /// </summary>
    public static Task<OtherNodeTransaction> TakeLeaseAsync(PostgreSqlEventStore store, string name, string owner, DateTimeOffset now) =>
        StartAsync(store, PostgreSqlCoordinationStore.AcquireLeaseSql(store.Schema), p => PostgreSqlCoordinationStore.AddAcquireParameters(p, name, owner, now, now.AddMinutes(1)));

    /// <summary>Deletes a pending timer of a stream without appending to it, and leaves the transaction open.</summary>
    public static Task<OtherNodeTransaction> DeleteTimerAsync(PostgreSqlEventStore store, string streamId, string name) =>
        StartAsync(store, $"DELETE FROM {store.Schema}.timers WHERE tenant = @t AND stream_id = @s AND name = @n", p =>
        {
            p.AddWithValue("t", Appends.Tenant);
            p.AddWithValue("s", streamId);
            p.AddWithValue("n", name);
        });

    protected static async Task<(NpgsqlConnection, NpgsqlTransaction)> BeginAsync(PostgreSqlEventStore store)
    {
        var connection = await store.DataSource.OpenConnectionAsync(Ct);
        return (connection, await connection.BeginTransactionAsync(Ct));
    }

    public Task CommitAsync() => _transaction.CommitAsync(Ct);

    public Task RollbackAsync() => _transaction.RollbackAsync(Ct);

    /// <summary>Returns once another session waits for a row this transaction wrote.</summary>
    public async Task WaitUntilSomeoneWaitsAsync()
    {
        await using var command = _dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE @pid = ANY (pg_blocking_pids(pid)))");
        command.Parameters.AddWithValue("pid", _connection.ProcessID);
        await Poll.UntilAsync(async () => (bool)(await command.ExecuteScalarAsync(Ct))!);
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

/// <summary>An append written the way any node's writer writes it, inside another node's open transaction.</summary>
internal sealed class OtherNodeAppend : OtherNodeTransaction
{
    private OtherNodeAppend(NpgsqlDataSource dataSource, NpgsqlConnection connection, NpgsqlTransaction transaction, AppendResult result)
        : base(dataSource, connection, transaction) => Result = result;

    public AppendResult Result { get; }

    /// <summary>Writes <paramref name="request"/> into the store's schema and leaves the transaction open.</summary>
    public static async Task<OtherNodeAppend> WriteAsync(PostgreSqlEventStore store, AppendRequest request)
    {
        var (connection, transaction) = await BeginAsync(store);
        var results = await new AppendWriter(store.Schema).WriteAsync(connection, transaction, [request], positions: null, Ct)
            ?? throw new InvalidOperationException("The append lost a race.");
        return new OtherNodeAppend(store.DataSource, connection, transaction, Assert.Single(results));
    }
}

/// <summary>Waits for a condition the test cannot be told about, checking it again and again, up to a limit.</summary>
internal static class Poll
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not come true in time.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
