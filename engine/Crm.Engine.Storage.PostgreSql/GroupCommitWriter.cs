using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// This node's writer. One loop takes every append queued (up to the batch cap), refuses those that cannot succeed
/// with one read, writes the rest in one transaction with one round trip of statements, and completes the callers
/// only once that transaction has committed. Concurrent appends therefore share a transaction.
/// <para>
/// The loop has two connections and uses them in turn: while one batch commits (waiting for its commit to be durable)
/// the next is checked and written on the other connection, taking what the committing batch changed as done. If that
/// batch fails to commit after all, the database refuses what was built on it: the writes check again under the rows'
/// locks, which also make the later batch wait for the earlier one where they touch the same rows. An append whose
/// effect key the committing batch applies is not refused on that batch's word but deferred to the next batch, checked
/// once that one has committed (a refusal would drop the effect if the commit failed).
/// </para>
/// <para>
/// When the database says an append lost a race (another node wrote its stream or key after the check) or an append
/// fails while writing, the transaction is rolled back and the batch written again, once the batch before it has
/// committed, with a savepoint per append, so that append fails alone.
/// </para>
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
    private readonly Lane[] _lanes = [new(), new()];
    private readonly Task _loop;

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

    /// <summary>Stops taking appends, writes and commits what is queued, and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        foreach (var lane in _lanes)
        {
            await lane.Committing.ConfigureAwait(false);
            await lane.CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        var turn = 0;
        Lane? previous = null;
        List<PendingAppend> deferred = [];
        while (deferred.Count > 0 || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Appends the last batch deferred go first: the batch they waited for has committed by the time this one is
            // checked, on the connection that committed it.
            var batch = new List<PendingAppend>(_maxBatchSize);
            batch.AddRange(deferred);
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            // The lane's last batch committed (or failed) before its connection is used again.
            var lane = _lanes[turn++ % _lanes.Length];
            await lane.Committing.ConfigureAwait(false);
            try
            {
                deferred = await WriteBatchAsync(lane, previous, batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // A bug, not a database error (those fail their batch): keep the loop, or later appends would hang.
                Log.WriterFailed(_logger, ex);
                batch.ForEach(p => p.TrySetException(ex));
                deferred = [];
            }

            previous = lane;
        }
    }

    /// <summary>Writes the batch and starts its commit; returns the appends it deferred to the next batch.</summary>
    private async Task<List<PendingAppend>> WriteBatchAsync(Lane lane, Lane? previous, List<PendingAppend> batch)
    {
        var started = Stopwatch.GetTimestamp();
        NpgsqlTransaction? transaction = null;
        try
        {
            batch.ForEach(p => p.Reset());
            var connection = await lane.ConnectionAsync(_dataSource).ConfigureAwait(false);
            transaction = await CheckAndWriteAsync(connection, previous, lane, batch).ConfigureAwait(false);
            if (transaction is null && batch.Exists(p => p.Writable))
            {
                // The careful path reads what is committed, so the batch before must be.
                await (previous?.Committing ?? Task.CompletedTask).ConfigureAwait(false);
                batch.ForEach(p => p.Reset());
                transaction = await WriteOneByOneAsync(connection, batch).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
            }

            await FailAsync(lane, batch, ex).ConfigureAwait(false);
            return [];
        }

        var deferred = batch.FindAll(p => p.Deferred);
        if (deferred.Count > 0)
        {
            batch.RemoveAll(p => p.Deferred);
        }

        lane.Committing = CommitAsync(lane, transaction, batch, started);
        return deferred;
    }

    /// <summary>
    /// The common path, in one transaction: one round trip checks the batch and reserves positions for it, one writes
    /// the accepted appends. Returns the open transaction with them written, or null after rolling it back: then
    /// either nothing was accepted (every append has its refusal) or the batch is to be written one append at a time.
    /// </summary>
    private async Task<NpgsqlTransaction?> CheckAndWriteAsync(NpgsqlConnection connection, Lane? previous, Lane lane, List<PendingAppend> batch)
    {
        var transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            // Positions for every append still writable: those the check refuses leave a gap, which readers pass.
            var reservation = _writer.Reservation(batch.Sum(p => p.Writable ? p.Request.Events.Count : 0));
            var committing = previous is { Committing.IsCompleted: false } ? previous.Changes : null;
            List<PendingAppend> accepted;
            try
            {
                (accepted, lane.Changes) = await _check.RunAsync(connection, transaction, batch, committing, reservation, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                await PositionReservation.AbandonAsync(connection, transaction).ConfigureAwait(false);
                throw;
            }

            AppendResult[]? results = null;
            if (accepted.Count > 0)
            {
                try
                {
                    results = await _writer.WriteAsync(connection, transaction, accepted.ConvertAll(p => p.Request), reservation.Positions, CancellationToken.None).ConfigureAwait(false);
                    if (results is null)
                    {
                        Log.BatchLostRace(_logger, accepted.Count);
                    }
                }
                catch (PostgresException ex)
                {
                    // An append failed while writing (a duplicate event id, a row two streams write): find which, alone.
                    Log.BatchRewritten(_logger, ex, accepted.Count);
                }

                if (results is null)
                {
                    PostgreSqlStoreMetrics.Instance.BatchesRewritten.Add(1);
                }
            }

            if (results is null)
            {
                if (transaction.Connection is not null)
                {
                    await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                }

                await transaction.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            for (var i = 0; i < accepted.Count; i++)
            {
                accepted[i].Result = results[i];
            }

            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Commits the batch's transaction (if it wrote anything) and hands every append its outcome.</summary>
    private async Task CommitAsync(Lane lane, NpgsqlTransaction? transaction, List<PendingAppend> batch, long started)
    {
        if (transaction is not null)
        {
            Exception? failure = null;
            try
            {
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            await transaction.DisposeAsync().ConfigureAwait(false);
            if (failure is not null)
            {
                await FailAsync(lane, batch, failure).ConfigureAwait(false);
                return;
            }

            if (batch.Exists(p => p.Result is not null))
            {
                _committed();
            }
        }

        var rejected = 0;
        foreach (var pending in batch)
        {
            rejected += pending.Error is null ? 0 : 1;
            pending.Publish();
        }

        PostgreSqlStoreMetrics.Instance.BatchCommitted(batch.Count, rejected, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Nothing of the batch is known to be committed: every append in it fails with the cause.</summary>
    private async Task FailAsync(Lane lane, List<PendingAppend> batch, Exception ex)
    {
        Log.BatchFailed(_logger, ex, batch.Count);
        lane.Changes = null;
        await lane.CloseAsync().ConfigureAwait(false);
        PostgreSqlStoreMetrics.Instance.AppendsRejected.Add(batch.Count);
        foreach (var pending in batch)
        {
            pending.TrySetException(ex);
        }
    }

    /// <summary>
    /// The careful path: every append checked and written under its own savepoint, in one transaction, so an append
    /// that lost a race or failed is undone alone and its batch-mates still commit. Returns the open transaction.
    /// </summary>
    private async Task<NpgsqlTransaction?> WriteOneByOneAsync(NpgsqlConnection connection, List<PendingAppend> batch)
    {
        var writable = batch.FindAll(p => p.Writable);
        if (writable.Count == 0)
        {
            return null;
        }

        var transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
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

            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task WriteAloneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PendingAppend pending, ArraySegment<long> positions)
    {
        // Another writer can win the race again between the check and the write; each loss is a commit by someone
        // else, after which the check sees why. Three losses in a row end as a conflict the caller retries.
        for (var attempt = 1; ; attempt++)
        {
            var (accepted, _) = await _check.RunAsync(connection, transaction, [pending], null, null, CancellationToken.None).ConfigureAwait(false);
            if (accepted.Count == 0)
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

    /// <summary>One of the writer's connections, and the batch it is committing.</summary>
    private sealed class Lane
    {
        private NpgsqlConnection? _connection;

        /// <summary>Completes once the lane's last batch has committed (or failed) and its callers have their outcomes.</summary>
        public Task Committing { get; set; } = Task.CompletedTask;

        /// <summary>What the lane's last batch changes once it commits.</summary>
        public AppendCheck.State? Changes { get; set; }

        public async Task<NpgsqlConnection> ConnectionAsync(NpgsqlDataSource dataSource)
        {
            if (_connection is { State: System.Data.ConnectionState.Open })
            {
                return _connection;
            }

            await CloseAsync().ConfigureAwait(false);
            _connection = await dataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);

            // The writer's statements are prepared once and then run with their generic plans, which PostgreSQL makes
            // from the tables' sizes at that time. Planned while the tables are small, a join of an append's keys with
            // a table becomes a scan of the whole table and stays one as the table grows. Every statement of the
            // writer looks up a few rows by their primary key, so on this connection only index lookups are planned.
            await using var settings = new NpgsqlCommand("SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off", _connection);
            await settings.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            return _connection;
        }

        public async Task CloseAsync()
        {
            if (_connection is { } connection)
            {
                _connection = null;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
