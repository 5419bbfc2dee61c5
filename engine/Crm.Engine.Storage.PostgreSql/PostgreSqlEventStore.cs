using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// The clustered event store: any number of nodes append to one PostgreSQL database. Each node's concurrent appends
/// share a transaction (group commit); an append's events, stream version, read-model row, uniqueness claims and links
/// commit together. Readers of the whole log stay below a safe high-water mark — rows whose writing transaction is
/// older than every running one — because positions commit out of order; other nodes' commits wake followers through
/// LISTEN/NOTIFY.
/// </summary>
public sealed class PostgreSqlEventStore : IEventStore
{
    private readonly PostgreSqlStoreOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly GroupCommitWriter _writer;
    private readonly CommitNotifications _notifications;
    private readonly string _streamEvents;
    private readonly string _allEvents;
    private readonly string _head;
    private readonly CancellationTokenSource _closing = new();
    private int _disposed;

    private PostgreSqlEventStore(PostgreSqlStoreOptions options, NpgsqlDataSource dataSource, int schemaVersion, ILogger logger)
    {
        _options = options;
        _dataSource = dataSource;
        SchemaVersion = schemaVersion;
        var schema = options.Schema;
        _notifications = new CommitNotifications(dataSource, schema, logger);
        _writer = new GroupCommitWriter(dataSource, schema, options.MaxBatchSize, _notifications.Committed, logger);
        ReadModel = new PostgreSqlRecordReadModel(dataSource, schema);
        Coordination = new PostgreSqlCoordinationStore(dataSource, schema);
        Projections = new PostgreSqlProjectionStore(dataSource, schema);
        _streamEvents =
            $"SELECT {EventRows.Columns} FROM {schema}.events WHERE tenant = @t AND stream_id = @s AND version >= @from ORDER BY version LIMIT @max";

        // xid below the snapshot's xmin: the writing transaction has ended and no running one is older. Positions are
        // reserved in xid order, so no running transaction holds a position below a row this returns.
        _allEvents =
            $"SELECT {EventRows.Columns} FROM {schema}.events WHERE position > @after AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position LIMIT @max";
        _head =
            $"SELECT COALESCE((SELECT position FROM {schema}.events WHERE xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position DESC LIMIT 1), 0)";
    }

    /// <summary>Opens the store: connects, and creates or upgrades the schema.</summary>
    public static async Task<PostgreSqlEventStore> OpenAsync(PostgreSqlStoreOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;
        var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        try
        {
            var schemaVersion = await SchemaMigrations.ApplyAsync(
                dataSource,
                options.Schema,
                version => Log.MigrationApplied(logger, version, options.Schema),
                cancellationToken).ConfigureAwait(false);
            return new PostgreSqlEventStore(options, dataSource, schemaVersion, logger);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The schema version of the open database.</summary>
    internal int SchemaVersion { get; }

    /// <summary>The schema holding the store's tables.</summary>
    internal string Schema => _options.Schema;

    /// <summary>The connections of this store.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

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
        cancellationToken.ThrowIfCancellationRequested();
        return _writer.Enqueue(request, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        if (maxCount == 0)
        {
            return [];
        }

        await using var command = _dataSource.CreateCommand(_streamEvents);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("s", streamId);
        command.Parameters.AddWithValue("from", fromVersion);
        command.Parameters.AddWithValue("max", (long)maxCount);
        return await EventRows.ReadAllAsync(command, maxCount, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        if (maxCount == 0)
        {
            return [];
        }

        await using var command = _dataSource.CreateCommand(_allEvents);
        command.Parameters.AddWithValue("after", afterPosition);
        command.Parameters.AddWithValue("max", (long)maxCount);
        return await EventRows.ReadAllAsync(command, maxCount, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var command = _dataSource.CreateCommand(_head);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        while (true)
        {
            // Taken before reading the head, so a commit that lands after the read still wakes this waiter.
            var commit = _notifications.Next;
            if (await GetHeadPositionAsync(linked.Token).ConfigureAwait(false) > afterPosition)
            {
                return;
            }

            using var poll = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
            await Task.WhenAny(commit, Task.Delay(_options.CommitPollInterval, poll.Token)).ConfigureAwait(false);
            await poll.CancelAsync().ConfigureAwait(false);
            linked.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Writes the appends already queued, stops waiters and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Queued appends are written before the connections close.
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _closing.CancelAsync().ConfigureAwait(false);
        await _notifications.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }
}
