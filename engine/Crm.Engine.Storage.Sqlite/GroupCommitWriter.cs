using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// The single writer. A dedicated thread owns the write connection, takes whatever appends are queued (up to the
/// batch cap, or the larger bulk cap once the batch holds a bulk call's appends), writes them in one transaction where a failing append never takes its batch-mates with it, commits
/// once, and only then completes the callers. Concurrent appends therefore share one durable commit.
/// </summary>
internal sealed class GroupCommitWriter : IDisposable
{
    // Entries are a PendingWrite or a PendingAppendGroup, whose members join a batch together.
    private readonly BlockingCollection<object> _queue = new(new ConcurrentQueue<object>());
    private readonly SqliteConnection _connection;
    private readonly WriterStatements _statements;
    private readonly CoordinationStatements _coordination;
    private readonly ProjectionStatements _projections;
    private readonly StreamAppender _appender;
    private readonly WriterSession _session;
    private readonly CommitSignal _signal;
    private readonly int _maxBatchSize;
    private readonly int _maxBulkBatchSize;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _batchesCommitted;

    public GroupCommitWriter(SqliteConnection connection, CommitSignal signal, int maxBatchSize, int maxBulkBatchSize, ILogger logger)
    {
        _connection = connection;
        _signal = signal;
        _maxBatchSize = maxBatchSize;
        _maxBulkBatchSize = maxBulkBatchSize;
        _logger = logger;
        _statements = new WriterStatements(connection);
        _coordination = new CoordinationStatements(connection);
        _projections = new ProjectionStatements(connection);
        _appender = new StreamAppender(_statements, _coordination);
        _session = new WriterSession(_appender, _coordination, _projections);
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

    public Task<AppendResult> Enqueue(AppendRequest request, CancellationToken cancellationToken) =>
        Enqueue(s => s.Appender.Check(request), s => s.Appender.Write(request), cancellationToken);

    /// <summary>Queues appends to many streams as one entry: the writer takes them into one batch, each checked and refused alone.</summary>
    public Task<IReadOnlyList<AppendOutcome>> EnqueueMany(IReadOnlyList<AppendRequest> requests, CancellationToken cancellationToken)
    {
        var group = new PendingAppendGroup(requests, cancellationToken);
        if (requests.Count > 0)
        {
            Add(group);
        }

        return group.Task;
    }

    /// <summary>
    /// Queues a write for the next batch: <paramref name="check"/> may refuse it with a <see cref="CrmException"/>
    /// before it writes anything; <paramref name="write"/> runs in the batch's transaction.
    /// </summary>
    public Task<T> Enqueue<T>(Action<WriterSession> check, Func<WriterSession, T> write, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite<T>(check, write, cancellationToken);
        Add(pending);
        return pending.Task;
    }

    private void Add(object entry)
    {
        try
        {
            _queue.Add(entry, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(SqliteEventStore), "The event store is closed.");
        }
    }

    /// <summary>Stops taking appends, commits what is queued, and waits for the thread to end.</summary>
    public Task StopAsync()
    {
        _queue.CompleteAdding();
        return _stopped.Task;
    }

    private void Run()
    {
        var batch = new List<PendingWrite>(_maxBatchSize);
        try
        {
            while (_queue.TryTake(out var first, Timeout.Infinite))
            {
                // Bulk calls queued together share one transaction up to the bulk cap: a bulk load then commits
                // rarely, while single appends keep the small cap and its short waits.
                var cap = AddEntry(batch, first) ? _maxBulkBatchSize : _maxBatchSize;
                while (batch.Count < cap && _queue.TryTake(out var next))
                {
                    cap = AddEntry(batch, next) ? _maxBulkBatchSize : cap;
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
            batch.Clear();
            while (_queue.TryTake(out var orphan))
            {
                AddEntry(batch, orphan);
            }

            Fail(batch, ex);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Adds a queue entry to the batch: a write, or every append of a group (a group is never split); true for a group.</summary>
    private static bool AddEntry(List<PendingWrite> batch, object entry)
    {
        if (entry is PendingAppendGroup group)
        {
            batch.AddRange(group.Members);
            return true;
        }

        batch.Add((PendingWrite)entry);
        return false;
    }

    private void WriteBatch(List<PendingWrite> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var committedMark = _appender.Mark;
        try
        {
            _statements.Begin.Execute();
            if (TryWriteWithoutSavepoints(batch) is { } halfWritten)
            {
                // An append failed half-written. Undo the batch and write it again with a savepoint per append, so
                // that append fails alone and its batch-mates still commit.
                Log.BatchRewritten(_logger, halfWritten, batch.Count);
                SqliteStoreMetrics.Instance.BatchesRewritten.Add(1);
                TryRollback();
                _appender.Reset(committedMark);
                _statements.Begin.Execute();
                WriteWithSavepoints(batch);
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
        var rejected = 0;
        foreach (var pending in batch)
        {
            rejected += pending.Error is null ? 0 : 1;
            pending.Publish();
        }

        SqliteStoreMetrics.Instance.BatchCommitted(batch.Count, rejected, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// The common path: each append is checked (reads only) and then written. A refused append (version conflict,
    /// duplicate key) wrote nothing, so it needs no savepoint — and savepoints are not free: SQLite copies every page
    /// an append touches into a sub-journal. Returns the error of an append that failed after it began writing.
    /// </summary>
    private Exception? TryWriteWithoutSavepoints(List<PendingWrite> batch)
    {
        foreach (var pending in batch)
        {
            if (CallerGaveUp(pending))
            {
                continue;
            }

            try
            {
                pending.Check(_session);
            }
            catch (CrmException ex)
            {
                pending.Error = ex;
                continue;
            }
            catch (Exception ex)
            {
                return ex;
            }

            try
            {
                pending.Write(_session);
            }
            catch (Exception ex)
            {
                return ex;
            }
        }

        return null;
    }

    /// <summary>The careful path: every append under its own savepoint, rolled back alone if it fails.</summary>
    private void WriteWithSavepoints(List<PendingWrite> batch)
    {
        foreach (var pending in batch)
        {
            if (CallerGaveUp(pending))
            {
                continue;
            }

            var mark = _appender.Mark;
            _statements.Savepoint.Execute();
            try
            {
                pending.Check(_session);
                pending.Write(_session);
            }
            catch (Exception ex)
            {
                pending.Error = ex;
                _appender.Reset(mark);

                // If SQLite has already rolled back the whole transaction (disk full, I/O error) this throws, and
                // the batch fails as a whole.
                _statements.RollbackToSavepoint.Execute();
            }

            _statements.Release.Execute();
        }
    }

    /// <summary>Clears an append's outcome before it is (re)written; true if its caller gave up, so it is not written.</summary>
    private static bool CallerGaveUp(PendingWrite pending)
    {
        pending.ClearOutcome();
        pending.Error = pending.CancellationToken.IsCancellationRequested ? new OperationCanceledException(pending.CancellationToken) : null;
        return pending.Error is not null;
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
            // SQLite already rolled the transaction back itself (it does on some I/O errors).
        }
    }

    private static void Fail(List<PendingWrite> batch, Exception ex)
    {
        SqliteStoreMetrics.Instance.AppendsRejected.Add(batch.Count);
        foreach (var pending in batch)
        {
            pending.Fail(ex);
        }
    }

    public void Dispose()
    {
        _statements.Dispose();
        _coordination.Dispose();
        _projections.Dispose();
        _queue.Dispose();
    }
}
