using System.Collections.Concurrent;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// A few read-only connections shared by all readers. Every read runs on the thread pool, never on the caller's
/// thread: SQLite calls block, and callers are grains whose scheduler must not be blocked.
/// </summary>
internal sealed class ReadConnectionPool : IAsyncDisposable, IDisposable
{
    private readonly ConcurrentBag<ReadConnection> _idle = [];
    private readonly SemaphoreSlim _available;
    private readonly int _size;
    private int _disposed;

    public ReadConnectionPool(SqliteStoreOptions options)
    {
        _size = options.ReadConnections;
        _available = new SemaphoreSlim(_size, _size);
        try
        {
            for (var i = 0; i < _size; i++)
            {
                _idle.Add(new ReadConnection(SqliteConnections.OpenReader(options)));
            }
        }
        catch
        {
            foreach (var connection in _idle)
            {
                connection.Dispose();
            }

            throw;
        }
    }

    public async Task<T> ReadAsync<T>(Func<ReadConnection, T> read, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, typeof(SqliteEventStore));
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        ReadConnection? connection = null;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, typeof(SqliteEventStore));
            _idle.TryTake(out connection);
            var taken = connection!;
            return await Task.Run(() => read(taken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (connection is not null)
            {
                _idle.Add(connection);
            }

            _available.Release();
        }
    }

    /// <summary>Closes the connections at once; only for a pool no read has used yet.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Wait for reads in flight to hand their connections back.
        for (var i = 0; i < _size; i++)
        {
            await _available.WaitAsync().ConfigureAwait(false);
        }

        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }
}
