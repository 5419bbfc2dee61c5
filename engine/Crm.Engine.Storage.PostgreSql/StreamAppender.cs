using Npgsql;
using NpgsqlTypes;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Writes one append in its own transaction: reserves positions, checks and moves the stream version, inserts the
/// events, and when the append carries a row, the read-model row, its search vector, its uniqueness claims and links.
/// </summary>
internal sealed class StreamAppender(NpgsqlDataSource dataSource, string schema)
{
    // Taking the transaction id and the positions under one lock makes positions follow transaction ids: a reader
    // that takes only rows whose xid is below the oldest running transaction then never passes a position that a
    // transaction still running holds. The lock is held for one round trip, not until commit.
    private readonly string _reservePositions = $"""
        SELECT pg_advisory_lock(hashtextextended('crm.engine.positions:{schema}', 0));
        SELECT pg_current_xact_id();
        SELECT nextval(pg_get_serial_sequence('{schema}.events', 'position')) FROM generate_series(1, @n);
        SELECT pg_advisory_unlock(hashtextextended('crm.engine.positions:{schema}', 0));
        """;

    private readonly string _createStream = $"INSERT INTO {schema}.streams (tenant, stream_id, version) VALUES (@t, @s, @v) ON CONFLICT DO NOTHING";
    private readonly string _moveStream = $"UPDATE {schema}.streams SET version = @v WHERE tenant = @t AND stream_id = @s AND version = @expected";
    private readonly string _streamVersion = $"SELECT version FROM {schema}.streams WHERE tenant = @t AND stream_id = @s";

    private readonly string _insertEvents = $"""
        INSERT INTO {schema}.events (position, tenant, stream_id, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload)
        SELECT e.position, @t, @s, e.version, e.event_id, e.type, e.schema_version, e.time, e.actor, e.correlation_id, e.causation_id, e.payload
        FROM unnest(@positions, @versions, @ids, @types, @schemas, @times, @actors, @correlations, @causations, @payloads)
            AS e(position, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload)
        """;

    private readonly string _upsertRecord = $"""
        INSERT INTO {schema}.records (tenant, type, id, version, deleted, created_at, updated_at, data, data_text, search_text, search)
        VALUES (@t, @type, @id, @v, @deleted, @created, @updated, @data::jsonb, @data, @search, to_tsvector('simple', @tokens))
        ON CONFLICT (tenant, type, id) DO UPDATE SET
            version = excluded.version, deleted = excluded.deleted, created_at = excluded.created_at, updated_at = excluded.updated_at,
            data = excluded.data, data_text = excluded.data_text, search_text = excluded.search_text, search = excluded.search
        """;

    private readonly string _releaseKeys = $"""
        DELETE FROM {schema}.unique_keys k
        WHERE k.tenant = @t AND k.stream_id = @s
          AND NOT EXISTS (SELECT 1 FROM unnest(@kinds, @values) AS u(kind, value) WHERE u.kind = k.kind AND u.value = k.value)
        """;

    // ON CONFLICT waits for a racing claimant to finish, so the holder read next is committed, never a guess.
    private readonly string _claimKeys = $"""
        INSERT INTO {schema}.unique_keys (tenant, kind, value, stream_id)
        SELECT @t, u.kind, u.value, @s FROM unnest(@kinds, @values) AS u(kind, value)
        ON CONFLICT (tenant, kind, value) DO NOTHING
        """;

    private readonly string _foreignHolder = $"""
        SELECT k.kind, k.value, k.stream_id FROM {schema}.unique_keys k
        JOIN unnest(@kinds, @values) AS u(kind, value) ON u.kind = k.kind AND u.value = k.value
        WHERE k.tenant = @t AND k.stream_id <> @s
        LIMIT 1
        """;

    private readonly string _deleteLinks = $"DELETE FROM {schema}.links WHERE tenant = @t AND owner_stream = @s";

    private readonly string _insertLinks = $"""
        INSERT INTO {schema}.links (tenant, owner_stream, owner_type, target_stream, role)
        SELECT @t, @s, @ownerType, l.target, l.role FROM unnest(@targets, @roles) AS l(target, role)
        ON CONFLICT (tenant, owner_stream, target_stream) DO UPDATE SET owner_type = excluded.owner_type, role = excluded.role
        """;

    public async Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // A stale writer fails here with one read, before it takes a transaction id or reserves positions; under
        // contention most attempts end here. The check that counts is the conditional update in the transaction.
        var committed = await StreamVersionAsync(connection, null, request, cancellationToken).ConfigureAwait(false);
        if (committed != request.ExpectedVersion)
        {
            throw new ConcurrencyConflictException(request.StreamId, request.ExpectedVersion, committed);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await WriteAsync(connection, transaction, request, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Writes the append in <paramref name="transaction"/>, which the caller commits.</summary>
    internal async Task<AppendResult> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendRequest request, CancellationToken cancellationToken)
    {
        var positions = await ReservePositionsAsync(connection, transaction, request.Events.Count).ConfigureAwait(false);
        var tenant = request.Tenant;
        var streamId = request.StreamId;
        var nextVersion = request.ExpectedVersion + request.Events.Count;

        await CheckAndMoveStreamAsync(connection, transaction, request, nextVersion, cancellationToken).ConfigureAwait(false);
        await InsertEventsAsync(connection, transaction, request, positions, cancellationToken).ConfigureAwait(false);
        if (request.Row is { } row)
        {
            await WriteRowAsync(connection, transaction, tenant, row, cancellationToken).ConfigureAwait(false);
            await WriteUniqueKeysAsync(connection, transaction, tenant, streamId, row.UniqueClaims, cancellationToken).ConfigureAwait(false);
            await WriteLinksAsync(connection, transaction, tenant, streamId, row, request.ExpectedVersion == 0, cancellationToken).ConfigureAwait(false);
        }

        return new AppendResult(nextVersion, positions[0], positions[^1]);
    }

    private async Task<long[]> ReservePositionsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int count)
    {
        // Not cancellable: stopping between lock and unlock would leave the session holding the lock.
        await using var command = new NpgsqlCommand(_reservePositions, connection, transaction);
        command.Parameters.AddWithValue("n", count);
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

    private async Task CheckAndMoveStreamAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendRequest request, long nextVersion, CancellationToken cancellationToken)
    {
        // A racing writer of the same stream holds the row (or its speculative insert); this waits for it to finish
        // and then sees its version, so of two appends at one expected version exactly one moves the stream. Every
        // waiter wakes at once when the holder commits, and the losers fail in parallel.
        await using var command = new NpgsqlCommand(request.ExpectedVersion == 0 ? _createStream : _moveStream, connection, transaction);
        command.Parameters.AddWithValue("t", request.Tenant);
        command.Parameters.AddWithValue("s", request.StreamId);
        command.Parameters.AddWithValue("v", nextVersion);
        command.Parameters.AddWithValue("expected", request.ExpectedVersion);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
        {
            return;
        }

        var actual = await StreamVersionAsync(connection, transaction, request, cancellationToken).ConfigureAwait(false);
        throw new ConcurrencyConflictException(request.StreamId, request.ExpectedVersion, actual);
    }

    /// <summary>The stream's committed version, 0 when it has no events.</summary>
    private async Task<long> StreamVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AppendRequest request, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand(_streamVersion, connection, transaction);
        read.Parameters.AddWithValue("t", request.Tenant);
        read.Parameters.AddWithValue("s", request.StreamId);
        return await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long version ? version : 0;
    }

    private async Task InsertEventsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendRequest request, long[] positions, CancellationToken cancellationToken)
    {
        var events = request.Events;
        var n = events.Count;
        var versions = new long[n];
        var ids = new Guid[n];
        var types = new string[n];
        var schemas = new int[n];
        var times = new long[n];
        var actors = new string[n];
        var correlations = new string?[n];
        var causations = new string?[n];
        var payloads = new string[n];
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            versions[i] = request.ExpectedVersion + i + 1;
            ids[i] = e.EventId;
            types[i] = e.Type;
            schemas[i] = e.SchemaVersion;
            times[i] = e.Time.UtcTicks;
            actors[i] = e.Actor.ToString();
            correlations[i] = e.CorrelationId;
            causations[i] = e.CausationId;
            payloads[i] = e.PayloadJson;
        }

        await using var command = new NpgsqlCommand(_insertEvents, connection, transaction);
        command.Parameters.AddWithValue("t", request.Tenant);
        command.Parameters.AddWithValue("s", request.StreamId);
        command.Parameters.AddWithValue("positions", positions);
        command.Parameters.AddWithValue("versions", versions);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("types", types);
        command.Parameters.AddWithValue("schemas", schemas);
        command.Parameters.AddWithValue("times", times);
        command.Parameters.AddWithValue("actors", actors);
        command.Parameters.Add(new NpgsqlParameter("correlations", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = correlations });
        command.Parameters.Add(new NpgsqlParameter("causations", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = causations });
        command.Parameters.AddWithValue("payloads", payloads);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteRowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenant, RecordRow row, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_upsertRecord, connection, transaction);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("type", row.Type);
        command.Parameters.AddWithValue("id", row.Id);
        command.Parameters.AddWithValue("v", row.Version);
        command.Parameters.AddWithValue("deleted", row.Deleted);
        command.Parameters.AddWithValue("created", row.CreatedAt.UtcTicks);
        command.Parameters.AddWithValue("updated", row.UpdatedAt.UtcTicks);
        command.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Text) { Value = row.DataJson });
        command.Parameters.AddWithValue("search", row.SearchText);
        command.Parameters.AddWithValue("tokens", SearchTokens.ForIndex(row.SearchText));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteUniqueKeysAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenant, string streamId, IReadOnlyList<UniqueClaim> keys, CancellationToken cancellationToken)
    {
        var kinds = keys.Select(k => k.Kind).ToArray();
        var values = keys.Select(k => k.Value).ToArray();
        foreach (var sql in (string[])[_releaseKeys, _claimKeys])
        {
            if (sql == _claimKeys && keys.Count == 0)
            {
                return;
            }

            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddWithValue("t", tenant);
            command.Parameters.AddWithValue("s", streamId);
            command.Parameters.AddWithValue("kinds", kinds);
            command.Parameters.AddWithValue("values", values);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var holder = new NpgsqlCommand(_foreignHolder, connection, transaction);
        holder.Parameters.AddWithValue("t", tenant);
        holder.Parameters.AddWithValue("s", streamId);
        holder.Parameters.AddWithValue("kinds", kinds);
        holder.Parameters.AddWithValue("values", values);
        await using var reader = await holder.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new DuplicateRecordException(FieldOf(reader.GetString(0)), reader.GetString(1), RecordIdOf(reader.GetString(2)));
        }
    }

    private async Task WriteLinksAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenant, string streamId, RecordRow row, bool isNew, CancellationToken cancellationToken)
    {
        if (!isNew)
        {
            await using var delete = new NpgsqlCommand(_deleteLinks, connection, transaction);
            delete.Parameters.AddWithValue("t", tenant);
            delete.Parameters.AddWithValue("s", streamId);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (row.Links.Count == 0)
        {
            return;
        }

        await using var insert = new NpgsqlCommand(_insertLinks, connection, transaction);
        insert.Parameters.AddWithValue("t", tenant);
        insert.Parameters.AddWithValue("s", streamId);
        insert.Parameters.AddWithValue("ownerType", row.Type);
        // One row per target, the last link winning, as a statement may not update one row twice.
        var links = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var link in row.Links)
        {
            links[StreamIds.ForRecord(link.TargetType, link.TargetId)] = link.Role;
        }

        insert.Parameters.AddWithValue("targets", links.Keys.ToArray());
        insert.Parameters.Add(new NpgsqlParameter("roles", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = links.Values.ToArray() });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The field a key kind guards: <c>contact.email</c> → <c>email</c>.</summary>
    internal static string FieldOf(string kind) => kind[(kind.LastIndexOf('.') + 1)..];

    /// <summary>The record id of a record stream <c>{type}/{id}</c>; other stream ids are returned whole.</summary>
    internal static string RecordIdOf(string streamId)
    {
        var slash = streamId.IndexOf('/');
        return slash < 0 ? streamId : streamId[(slash + 1)..];
    }
}
