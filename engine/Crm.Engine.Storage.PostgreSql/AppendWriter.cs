using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Writes appends inside an open transaction: reserves their positions, then sends every statement of every append
/// in one round trip, a statement per table for all the appends together (events, stream versions, records, claims,
/// links). The database checks again what <see cref="AppendCheck"/> checked from committed data: a stream moves only
/// from the expected version, a key is claimed only if no other stream holds it. When another writer (another node)
/// got there first, the write reports that rather than throwing, and the caller rolls the transaction back.
/// </summary>
internal sealed class AppendWriter(string schema)
{
    // Taking the transaction id and the positions under one lock makes positions follow transaction ids: a reader
    // that takes only rows whose xid is below the oldest running transaction then never passes a position that a
    // transaction still running holds. The lock is held for one round trip, not until commit. It only works if the
    // transaction gets its id here, so nothing may be written in the transaction before.
    private readonly string _reservePositions = $"""
        SELECT pg_advisory_lock(hashtextextended('crm.engine.positions:{schema}', 0));
        SELECT pg_current_xact_id();
        SELECT nextval((SELECT pg_get_serial_sequence('{schema}.events', 'position'))::regclass) FROM generate_series(1, @n);
        SELECT pg_advisory_unlock(hashtextextended('crm.engine.positions:{schema}', 0));
        """;

    private readonly AppendStatements _statements = new(schema);

    /// <summary>
    /// Reserves positions for <paramref name="appends"/> and writes them in order. Returns their results, or null
    /// when one of them lost a race to another writer; then the transaction must be rolled back.
    /// </summary>
    public async Task<AppendResult[]?> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<AppendRequest> appends, CancellationToken cancellationToken)
    {
        var positions = await ReservePositionsAsync(connection, transaction, appends.Sum(a => a.Events.Count)).ConfigureAwait(false);
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

    /// <summary>Takes the transaction's id and <paramref name="count"/> positions, in increasing order.</summary>
    public async Task<long[]> ReservePositionsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int count)
    {
        // Not cancellable: stopping between lock and unlock would leave the session holding the lock.
        await using var command = new NpgsqlCommand(_reservePositions, connection, transaction);
        command.Parameters.AddWithValue("n", count);
        await command.PrepareAsync(CancellationToken.None).ConfigureAwait(false);
        var positions = new long[count];
        try
        {
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
            await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
            await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
            var i = 0;
            while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                positions[i++] = reader.GetInt64(0);
            }

            await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            // A session lock outlives the transaction; never hand a connection back to the pool still holding it.
            // If the connection broke instead, Npgsql discards it and the server ends the session and its locks.
            await ReleasePositionLockAsync(connection, transaction).ConfigureAwait(false);
            throw;
        }

        Array.Sort(positions);
        return positions;
    }

    private static async Task ReleasePositionLockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The connection is gone, and with it the session's locks.
        }
    }
}
