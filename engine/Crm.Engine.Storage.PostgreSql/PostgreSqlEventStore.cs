using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// The clustered event store: any number of nodes append to one PostgreSQL database. An append is one transaction
/// (events, stream version, read-model row, uniqueness claims and links). Readers of the whole log stay below a safe
/// high-water mark — rows whose writing transaction is older than every running one — because identity values commit
/// out of order.
/// </summary>
public sealed class PostgreSqlEventStore : IEventStore
{
    private readonly PostgreSqlStoreOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly StreamAppender _appender;
    private readonly string _streamEvents;
    private readonly string _allEvents;
    private readonly string _head;
    private readonly CancellationTokenSource _closing = new();
    private TaskCompletionSource _committed = NewSignal();
    private int _disposed;

    private PostgreSqlEventStore(PostgreSqlStoreOptions options, NpgsqlDataSource dataSource, int schemaVersion)
    {
        _options = options;
        _dataSource = dataSource;
        SchemaVersion = schemaVersion;
        var schema = options.Schema;
        _appender = new StreamAppender(dataSource, schema);
        ReadModel = new PostgreSqlRecordReadModel(dataSource, schema);
        Coordination = new PostgreSqlCoordinationStore(dataSource, schema);
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
                version => logger.LogInformation("Applied event store schema migration {Version} to schema {Schema}", version, options.Schema),
                cancellationToken).ConfigureAwait(false);
            return new PostgreSqlEventStore(options, dataSource, schemaVersion);
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
    public async Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default)
    {
        AppendValidation.Validate(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (request.Fence is not null || request.EffectKey is not null || request.FiresTimer is not null || request.ScheduleTimers.Count > 0 || request.CancelTimers.Count > 0)
        {
            throw new NotSupportedException("Timers, effect keys and fences in appends are not written by this store yet.");
        }

        var result = await _appender.AppendAsync(request, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _committed, NewSignal()).TrySetResult();
        return result;
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
            // Taken before reading the head, so an append that completes after the read still wakes this waiter.
            var localCommit = Volatile.Read(ref _committed).Task;
            if (await GetHeadPositionAsync(linked.Token).ConfigureAwait(false) > afterPosition)
            {
                return;
            }

            // Appends of this node wake the waiter at once; appends of other nodes are seen at the next poll.
            await Task.WhenAny(localCommit, Task.Delay(_options.CommitPollInterval, linked.Token)).ConfigureAwait(false);
            linked.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Stops waiters and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
