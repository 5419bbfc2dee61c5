using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// The single writer. A dedicated thread owns the write connection, takes whatever appends are queued (up to the
/// batch cap), writes each under its own savepoint so a failing append rolls back alone, commits once, and only then
/// completes the callers. Concurrent appends therefore share one durable commit.
/// </summary>
internal sealed class GroupCommitWriter : IDisposable
{
    private readonly BlockingCollection<PendingAppend> _queue = new(new ConcurrentQueue<PendingAppend>());
    private readonly SqliteConnection _connection;
    private readonly WriterStatements _statements;
    private readonly StreamAppender _appender;
    private readonly CommitSignal _signal;
    private readonly int _maxBatchSize;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _batchesCommitted;

    public GroupCommitWriter(SqliteConnection connection, CommitSignal signal, int maxBatchSize, ILogger logger)
    {
        _connection = connection;
        _signal = signal;
        _maxBatchSize = maxBatchSize;
        _logger = logger;
        _statements = new WriterStatements(connection);
        _appender = new StreamAppender(_statements);
        _thread = new Thread(Run) { IsBackground = true, Name = "Crm SQLite writer" };
    }

    /// <summary>How many transactions committed (a batch of appends each).</summary>
    public long BatchesCommitted => Interlocked.Read(ref _batchesCommitted);

    public void Start(long lastPosition, long lastRid)
    {
        _appender.Start(lastPosition, lastRid);
        _signal.Start(lastPosition);
        _thread.Start();
    }

    public Task<AppendResult> Enqueue(AppendRequest request, CancellationToken cancellationToken)
    {
        var pending = new PendingAppend(request, cancellationToken);
        try
        {
            _queue.Add(pending, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(SqliteEventStore), "The event store is closed.");
        }

        return pending.Task;
    }

    /// <summary>Stops taking appends, commits what is queued, and waits for the thread to end.</summary>
    public Task StopAsync()
    {
        _queue.CompleteAdding();
        return _stopped.Task;
    }

    private void Run()
    {
        var batch = new List<PendingAppend>(_maxBatchSize);
        try
        {
            while (_queue.TryTake(out var first, Timeout.Infinite))
            {
                batch.Add(first);
                while (batch.Count < _maxBatchSize && _queue.TryTake(out var next))
                {
                    batch.Add(next);
                }

                WriteBatch(batch);
                batch.Clear();
            }
        }
        catch (Exception ex)
        {
            Log.WriterCrashed(_logger, ex);
            _queue.CompleteAdding();
            Fail(batch, ex);
            while (_queue.TryTake(out var orphan))
            {
                orphan.TrySetException(ex);
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void WriteBatch(List<PendingAppend> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var committedMark = _appender.Mark;
        try
        {
            _statements.Begin.Execute();
        }
        catch (Exception ex)
        {
            Log.BatchFailed(_logger, ex, batch.Count);
            Fail(batch, ex);
            return;
        }

        Exception? transactionLost = null;
        var rejected = 0;
        foreach (var pending in batch)
        {
            if (pending.CancellationToken.IsCancellationRequested)
            {
                pending.Error = new OperationCanceledException(pending.CancellationToken);
                rejected++;
                continue;
            }

            var mark = _appender.Mark;
            try
            {
                _statements.Savepoint.Execute();
                pending.Result = _appender.Apply(pending.Request);
                _statements.Release.Execute();
            }
            catch (Exception ex)
            {
                pending.Error = ex;
                rejected++;
                _appender.Reset(mark);
                transactionLost = UndoAppend();
                if (transactionLost is not null)
                {
                    break;
                }
            }
        }

        try
        {
            if (transactionLost is not null)
            {
                throw transactionLost;
            }

            _statements.Commit.Execute();
        }
        catch (Exception ex)
        {
            // Nothing of the batch is durable: undo it and reject every append in it.
            Log.BatchFailed(_logger, ex, batch.Count);
            TryRollback();
            _appender.Reset(committedMark);
            Fail(batch, ex);
            return;
        }

        Interlocked.Increment(ref _batchesCommitted);
        _signal.Committed(_appender.Mark.Position);
        foreach (var pending in batch)
        {
            pending.Publish();
        }

        SqliteStoreMetrics.AppendsCommitted.Add(batch.Count - rejected);
        if (rejected > 0)
        {
            SqliteStoreMetrics.AppendsRejected.Add(rejected);
        }

        SqliteStoreMetrics.BatchSize.Record(batch.Count);
        SqliteStoreMetrics.CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Rolls back to the append's savepoint; returns the error if the whole transaction is gone instead.</summary>
    private Exception? UndoAppend()
    {
        try
        {
            _statements.RollbackToSavepoint.Execute();
            _statements.Release.Execute();
            return null;
        }
        catch (Exception ex)
        {
            // SQLite rolls back the whole transaction on some errors (disk full, I/O); the savepoint is then gone.
            return ex;
        }
    }

    private void TryRollback()
    {
        if (_connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            _statements.Rollback.Execute();
        }
        catch (SqliteException)
        {
            // No transaction left to roll back.
        }
    }

    private static void Fail(List<PendingAppend> batch, Exception ex)
    {
        SqliteStoreMetrics.AppendsRejected.Add(batch.Count);
        foreach (var pending in batch)
        {
            pending.TrySetException(ex);
        }
    }

    public void Dispose()
    {
        _statements.Dispose();
        _queue.Dispose();
    }
}
