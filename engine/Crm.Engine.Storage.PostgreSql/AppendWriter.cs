using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Writes appends inside an open transaction, their positions reserved first (see <see cref="PositionReservation"/>):
/// every statement of every append goes in one round trip, a statement per table for all the appends together
/// (events, stream versions, records, claims, links). The database checks again what <see cref="AppendCheck"/>
/// checked from committed data: a stream moves only from the expected version, a key is claimed only if no other
/// stream holds it. When another writer (another node) got there first, the write reports that rather than throwing,
/// and the caller rolls the transaction back.
/// </summary>
internal sealed class AppendWriter(string schema)
{
    private readonly AppendStatements _statements = new(schema);

    /// <summary>Positions for <paramref name="count"/> events of a transaction that has written nothing yet.</summary>
    public PositionReservation Reservation(int count) => new(schema, count);

    /// <summary>
    /// Writes <paramref name="appends"/> in order, their events taking <paramref name="positions"/> in order (reserved
    /// here when not given). Returns their results, or null when one of them lost a race to another writer; then the
    /// transaction must be rolled back.
    /// </summary>
    public async Task<AppendResult[]?> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<AppendRequest> appends, long[]? positions, CancellationToken cancellationToken)
    {
        positions ??= await ReservePositionsAsync(connection, transaction, appends.Sum(a => a.Events.Count)).ConfigureAwait(false);
        await using var batch = _statements.Build(connection, transaction, appends, positions, prepare: true);
        return await batch.ExecuteAsync(cancellationToken).ConfigureAwait(false) ? Results(appends, positions, 0) : null;
    }

    /// <summary>
    /// Writes one append under a savepoint with positions reserved before. Returns false, with the append undone
    /// and the transaction usable, when it lost a race; throws, also with the append undone, when it failed.
    /// </summary>
    public async Task<bool> WriteOneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendRequest append, ArraySegment<long> positions, CancellationToken cancellationToken)
    {
        await using var batch = _statements.Build(connection, transaction, [append], positions, prepare: false);
        batch.StartWith("SAVEPOINT append");
        bool applied;
        try
        {
            applied = await batch.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException)
        {
            await transaction.RollbackAsync("append", CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        if (applied)
        {
            await transaction.ReleaseAsync("append", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await transaction.RollbackAsync("append", cancellationToken).ConfigureAwait(false);
        }

        return applied;
    }

    /// <summary>Where each append lands, taking its positions in order from <paramref name="positions"/> at <paramref name="offset"/>.</summary>
    public static AppendResult[] Results(IReadOnlyList<AppendRequest> appends, long[] positions, int offset)
    {
        var results = new AppendResult[appends.Count];
        for (var i = 0; i < appends.Count; i++)
        {
            var count = appends[i].Events.Count;
            results[i] = new AppendResult(appends[i].ExpectedVersion + count, positions[offset], positions[offset + count - 1]);
            offset += count;
        }

        return results;
    }

    /// <summary>Takes the transaction's id and <paramref name="count"/> positions, in increasing order, with one round trip.</summary>
    public async Task<long[]> ReservePositionsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int count)
    {
        var reservation = Reservation(count);
        await using var batch = new NpgsqlBatch(connection, transaction);
        reservation.AddTo(batch);
        try
        {
            await batch.PrepareAsync(CancellationToken.None).ConfigureAwait(false);
            await using var reader = await batch.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
            await reservation.ReadAsync(reader).ConfigureAwait(false);
        }
        catch
        {
            await PositionReservation.AbandonAsync(connection, transaction).ConfigureAwait(false);
            throw;
        }

        return reservation.Positions;
    }
}

/// <summary>
/// Positions for a transaction's events, taken together with the transaction's id under one lock. That makes positions
/// follow transaction ids: a reader that takes only rows whose xid is below the oldest running transaction then never
/// passes a position that a transaction still running holds. It only works if the transaction gets its id here, so
/// these must be the transaction's first writes; reads may go before them, in the same round trip. The lock is held
/// for that round trip, not until commit.
/// </summary>
internal sealed class PositionReservation(string schema, int count)
{
    /// <summary>The positions taken, in increasing order, once <see cref="ReadAsync"/> has run.</summary>
    public long[] Positions { get; private set; } = [];

    /// <summary>The key of the advisory lock positions are reserved under, as SQL.</summary>
    public static string LockKey(string schema) => $"hashtextextended('crm.engine.positions:{schema}', 0)";

    public void AddTo(NpgsqlBatch batch)
    {
        var lockKey = LockKey(schema);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_lock({lockKey})"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_current_xact_id()"));
        var take = new NpgsqlBatchCommand($"SELECT nextval((SELECT pg_get_serial_sequence('{schema}.events', 'position'))::regclass) FROM generate_series(1, @n)");
        take.Parameters.AddWithValue("n", count);
        batch.BatchCommands.Add(take);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_unlock({lockKey})"));
    }

    /// <summary>Reads the positions; <paramref name="reader"/> is at the result of the lock.</summary>
    public async Task ReadAsync(NpgsqlDataReader reader)
    {
        // Not cancellable: stopping between lock and unlock would leave the session holding the lock.
        await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
        await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
        var positions = new long[count];
        var i = 0;
        while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            positions[i++] = reader.GetInt64(0);
        }

        await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
        Array.Sort(positions);
        Positions = positions;
    }

    /// <summary>
    /// After a reservation failed: ends the transaction and whatever lock the session still holds. A session lock
    /// outlives the transaction, and a connection must never go back to the pool holding it. If the connection broke
    /// instead, Npgsql discards it and the server ends the session and its locks.
    /// </summary>
    public static async Task AbandonAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        try
        {
            if (transaction.Connection is not null)
            {
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // The connection is gone, and with it the session's locks.
        }
    }
}
