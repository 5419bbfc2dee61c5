using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// This node's writer. One loop, on a connection of its own, takes every append queued (up to the batch cap), refuses
/// those that cannot succeed with one read, writes the rest in one transaction with one round trip of statements,
/// commits once, and only then completes the callers. Concurrent appends therefore share a transaction. When the
/// database says an append lost a race to another node after the read, or an append fails while writing, the
/// transaction is rolled back and the batch written again with a savepoint per append, so that append fails alone.
/// The writer's statements stay prepared on its connection.
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly NpgsqlDataSource _dataSource;
    private readonly AppendCheck _check;
    private readonly AppendWriter _writer;
    private readonly int _maxBatchSize;
    private readonly Action _committed;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private NpgsqlConnection? _connection;

    /// <summary>Starts the writer; <paramref name="committed"/> is called after each transaction that committed appends.</summary>
    public GroupCommitWriter(NpgsqlDataSource dataSource, string schema, int maxBatchSize, Action committed, ILogger logger)
    {
        _dataSource = dataSource;
        _check = new AppendCheck(schema);
        _writer = new AppendWriter(schema);
        _maxBatchSize = maxBatchSize;
        _committed = committed;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public Task<AppendResult> Enqueue(AppendRequest request, CancellationToken cancellationToken)
    {
        var pending = new PendingAppend(request, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(PostgreSqlEventStore), "The event store is closed.");
        }

        return pending.Task;
    }

    /// <summary>Stops taking appends, writes what is queued, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await CloseConnectionAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingAppend>(_maxBatchSize);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await WriteBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // A bug, not a database error (those fail their batch): keep the loop, or later appends would hang.
                Log.WriterFailed(_logger, ex);
                batch.ForEach(p => p.TrySetException(ex));
            }

            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(List<PendingAppend> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var committed = false;
        try
        {
            batch.ForEach(p => p.Reset());
            var connection = await ConnectionAsync().ConfigureAwait(false);
            var accepted = await _check.RunAsync(connection, null, batch, CancellationToken.None).ConfigureAwait(false);
            if (accepted.Count > 0)
            {
                if (!await TryWriteTogetherAsync(connection, accepted).ConfigureAwait(false))
                {
                    batch.ForEach(p => p.Reset());
                    await WriteOneByOneAsync(connection, batch).ConfigureAwait(false);
                }

                committed = batch.Exists(p => p.Result is not null);
            }
        }
        catch (Exception ex)
        {
            // Nothing of the batch is known to be committed: every append in it fails with the cause.
            Log.BatchFailed(_logger, ex, batch.Count);
            await CloseConnectionAsync().ConfigureAwait(false);
            PostgreSqlStoreMetrics.AppendsRejected.Add(batch.Count);
            foreach (var pending in batch)
            {
                pending.TrySetException(ex);
            }

            return;
        }

        if (committed)
        {
            _committed();
        }

        var rejected = 0;
        foreach (var pending in batch)
        {
            rejected += pending.Error is null ? 0 : 1;
            pending.Publish();
        }

        PostgreSqlStoreMetrics.AppendsCommitted.Add(batch.Count - rejected);
        if (rejected > 0)
        {
            PostgreSqlStoreMetrics.AppendsRejected.Add(rejected);
        }

        PostgreSqlStoreMetrics.BatchSize.Record(batch.Count);
        PostgreSqlStoreMetrics.BatchDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The common path: the accepted appends in one transaction, one round trip of statements. False if it was rolled back.</summary>
    private async Task<bool> TryWriteTogetherAsync(NpgsqlConnection connection, List<PendingAppend> accepted)
    {
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        AppendResult[]? results;
        try
        {
            results = await _writer.WriteAsync(connection, transaction, accepted.ConvertAll(p => p.Request), CancellationToken.None).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            // An append failed while writing (a duplicate event id, a row two streams write): find which, alone.
            Log.BatchRewritten(_logger, ex, accepted.Count);
            if (transaction.Connection is not null)
            {
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return false;
        }

        if (results is null)
        {
            Log.BatchLostRace(_logger, accepted.Count);
            PostgreSqlStoreMetrics.RacesLost.Add(1);
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            return false;
        }

        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        for (var i = 0; i < accepted.Count; i++)
        {
            accepted[i].Result = results[i];
        }

        return true;
    }

    /// <summary>
    /// The careful path: every append checked and written under its own savepoint, in one transaction, so an append
    /// that lost a race or failed is undone alone and its batch-mates still commit.
    /// </summary>
    private async Task WriteOneByOneAsync(NpgsqlConnection connection, List<PendingAppend> batch)
    {
        var writable = batch.FindAll(p => p.Writable);
        if (writable.Count == 0)
        {
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        var positions = await _writer.ReservePositionsAsync(connection, transaction, writable.Sum(p => p.Request.Events.Count)).ConfigureAwait(false);
        var offset = 0;
        foreach (var pending in writable)
        {
            var count = pending.Request.Events.Count;
            await WriteAloneAsync(connection, transaction, pending, new ArraySegment<long>(positions, offset, count)).ConfigureAwait(false);
            if (pending.Error is null)
            {
                pending.Result = AppendWriter.Results([pending.Request], positions, offset)[0];
            }

            offset += count;
        }

        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task WriteAloneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PendingAppend pending, ArraySegment<long> positions)
    {
        // Another writer can win the race again between the check and the write; each loss is a commit by someone
        // else, after which the check sees why. Three losses in a row end as a conflict the caller retries.
        for (var attempt = 1; ; attempt++)
        {
            if ((await _check.RunAsync(connection, transaction, [pending], CancellationToken.None).ConfigureAwait(false)).Count == 0)
            {
                return;
            }

            try
            {
                if (await _writer.WriteOneAsync(connection, transaction, pending.Request, positions, CancellationToken.None).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (PostgresException ex)
            {
                pending.Error = ex;
                return;
            }

            if (attempt == 3)
            {
                var request = pending.Request;
                pending.Error = new ConcurrencyConflictException(request.StreamId, request.ExpectedVersion, request.ExpectedVersion);
                return;
            }
        }
    }

    private async Task<NpgsqlConnection> ConnectionAsync()
    {
        if (_connection is { State: System.Data.ConnectionState.Open })
        {
            return _connection;
        }

        await CloseConnectionAsync().ConfigureAwait(false);
        _connection = await _dataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);

        // The writer's statements are prepared once and then run with their generic plans, which PostgreSQL makes
        // from the tables' sizes at that time. Planned while the tables are small, a join of an append's keys with a
        // table becomes a scan of the whole table and stays one as the table grows. Every statement of the writer
        // looks up a few rows by their primary key, so on this connection only index lookups are planned.
        await using var settings = new NpgsqlCommand("SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off", _connection);
        await settings.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        return _connection;
    }

    private async Task CloseConnectionAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
