using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// The embedded event store: one SQLite file in WAL mode, a single writer thread that group-commits concurrent
/// appends, and a small pool of read-only connections. All SQLite work runs off the caller's thread.
/// </summary>
public sealed class SqliteEventStore : IEventStore
{
    private const string StreamEvents =
        $"SELECT {EventRows.Columns} FROM events WHERE tenant = $t AND stream_id = $s AND version >= $from ORDER BY version LIMIT $max";

    private const string AllEvents =
        $"SELECT {EventRows.Columns} FROM events WHERE position > $after ORDER BY position LIMIT $max";

    private readonly SqliteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly DataDirectoryLock _lock;
    private readonly SqliteConnection _writeConnection;
    private readonly GroupCommitWriter _writer;
    private readonly ReadConnectionPool _readers;
    private readonly CommitSignal _signal = new();
    private int _disposed;

    private SqliteEventStore(
        SqliteStoreOptions options,
        ILogger logger,
        DataDirectoryLock directoryLock,
        SqliteConnection writeConnection,
        ReadConnectionPool readers,
        int schemaVersion)
    {
        _options = options;
        _logger = logger;
        _lock = directoryLock;
        _writeConnection = writeConnection;
        _readers = readers;
        SchemaVersion = schemaVersion;
        SynchronousMode = SqliteConnections.QueryText(writeConnection, "PRAGMA synchronous") switch
        {
            "0" => "OFF",
            "1" => "NORMAL",
            "2" => "FULL",
            "3" => "EXTRA",
            var other => other,
        };
        JournalMode = SqliteConnections.QueryText(writeConnection, "PRAGMA journal_mode").ToUpperInvariant();
        ReadModel = new SqliteRecordReadModel(readers);
        _writer = new GroupCommitWriter(writeConnection, _signal, options.MaxBatchSize, options.MaxBulkBatchSize, logger);
        Coordination = new SqliteCoordinationStore(_writer, readers);
        Projections = new SqliteProjectionStore(_writer, readers);
    }

    /// <summary>
    /// Opens (creating if needed) the store at <see cref="SqliteStoreOptions.Path"/>: takes the data directory's lock,
    /// applies schema migrations and starts the writer.
    /// </summary>
    /// <exception cref="DataDirectoryLockedException">Another store, in this or another process, owns the directory.</exception>
    public static SqliteEventStore Open(SqliteStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;
        var path = Path.GetFullPath(options.Path);
        var directoryLock = DataDirectoryLock.Acquire(Path.GetDirectoryName(path)!);
        SqliteConnection? writeConnection = null;
        ReadConnectionPool? readers = null;
        try
        {
            writeConnection = SqliteConnections.OpenWriter(options);
            var schemaVersion = SchemaMigrations.Apply(writeConnection, version => Log.MigrationApplied(logger, version, path));

            // The directory lock proves that whoever held a lease before is gone (an earlier run of this or another
            // process), so its leases end now rather than when they would expire: after a crash, timers and
            // subscriptions resume as soon as the engine starts again. Epochs still move on when they are taken.
            SqliteConnections.Execute(writeConnection, "UPDATE leases SET expires_at = 0");
            var (lastPosition, lastRid) = ReadHighWaterMarks(writeConnection);
            readers = new ReadConnectionPool(options);
            var store = new SqliteEventStore(options, logger, directoryLock, writeConnection, readers, schemaVersion);
            store._writer.Start(lastPosition, lastRid);
            Log.Opened(logger, path, schemaVersion, store.SynchronousMode, lastPosition);
            return store;
        }
        catch
        {
            readers?.Dispose();
            writeConnection?.Dispose();
            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>The <c>synchronous</c> setting in force on the writer, e.g. <c>FULL</c>.</summary>
    public string SynchronousMode { get; }

    /// <summary>The journal mode in force, <c>WAL</c>.</summary>
    public string JournalMode { get; }

    /// <summary>The schema version of the open file.</summary>
    internal int SchemaVersion { get; }

    /// <summary>Transactions committed since open; fewer than appends when group commit batches them.</summary>
    internal long BatchesCommitted => _writer.BatchesCommitted;

    /// <summary>The writer, for tests that hold it busy.</summary>
    internal GroupCommitWriter Writer => _writer;

    /// <inheritdoc />
    public IRecordReadModel ReadModel { get; }

    /// <inheritdoc />
    public ICoordinationStore Coordination { get; }

    /// <inheritdoc />
    public IProjectionStore Projections { get; }

    /// <inheritdoc />
    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default)
    {
        AppendValidation.Validate(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<AppendResult>(cancellationToken);
        }

        return _writer.Enqueue(request, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AppendOutcome>> AppendManyAsync(IReadOnlyList<AppendRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        foreach (var request in requests)
        {
            AppendValidation.Validate(request);
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<IReadOnlyList<AppendOutcome>>(cancellationToken);
        }

        return _writer.EnqueueMany(requests, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        if (maxCount == 0)
        {
            return Task.FromResult<IReadOnlyList<CrmEvent>>([]);
        }

        return _readers.ReadAsync<IReadOnlyList<CrmEvent>>(connection =>
        {
            var command = connection.Command(StreamEvents);
            command.Parameters.AddWithValue("$t", tenant);
            command.Parameters.AddWithValue("$s", streamId);
            command.Parameters.AddWithValue("$from", fromVersion);
            command.Parameters.AddWithValue("$max", (long)maxCount);
            return EventRows.ReadAll(command, maxCount);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        if (maxCount == 0)
        {
            return Task.FromResult<IReadOnlyList<CrmEvent>>([]);
        }

        // A commit is atomic and the single writer hands out positions in order, so a reader's snapshot never has
        // a gap below its highest position: reading everything after a position cannot skip a committed event.
        return _readers.ReadAsync<IReadOnlyList<CrmEvent>>(connection =>
        {
            var command = connection.Command(AllEvents);
            command.Parameters.AddWithValue("$after", afterPosition);
            command.Parameters.AddWithValue("$max", (long)maxCount);
            return EventRows.ReadAll(command, maxCount);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Task.FromResult(_signal.Head);
    }

    /// <inheritdoc />
    public Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _signal.WaitAsync(afterPosition, cancellationToken);
    }

    /// <summary>Commits the appends already queued, then closes the file and releases the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writer.StopAsync().ConfigureAwait(false);
        _signal.Close(new ObjectDisposedException(nameof(SqliteEventStore), "The event store was closed."));
        await _readers.DisposeAsync().ConfigureAwait(false);
        _writer.Dispose();
        _writeConnection.Dispose();
        _lock.Dispose();
        Log.Closed(_logger, _options.Path, _signal.Head);
    }

    private static (long LastPosition, long LastRid) ReadHighWaterMarks(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT IFNULL((SELECT MAX(position) FROM events), 0), IFNULL((SELECT MAX(rid) FROM records), 0)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
