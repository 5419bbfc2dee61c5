using Npgsql;
using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// An append written the way any node's writer writes it, inside a transaction the test decides when to end: another
/// node caught between writing and committing.
/// </summary>
internal sealed class OtherNodeAppend : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private OtherNodeAppend(NpgsqlDataSource dataSource, NpgsqlConnection connection, NpgsqlTransaction transaction, AppendResult result)
    {
        _dataSource = dataSource;
        _connection = connection;
        _transaction = transaction;
        Result = result;
    }

    public AppendResult Result { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Writes <paramref name="request"/> into the store's schema and leaves the transaction open.</summary>
    public static async Task<OtherNodeAppend> WriteAsync(PostgreSqlEventStore store, AppendRequest request)
    {
        var connection = await store.DataSource.OpenConnectionAsync(Ct);
        var transaction = await connection.BeginTransactionAsync(Ct);
        var results = await new AppendWriter(store.Schema).WriteAsync(connection, transaction, [request], positions: null, Ct)
            ?? throw new InvalidOperationException("The append lost a race.");
        return new OtherNodeAppend(store.DataSource, connection, transaction, Assert.Single(results));
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
