using Npgsql;
using NpgsqlTypes;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// The statements that write a set of appends, a statement per table for all of them together, with the appends'
/// values as arrays. Appends to one stream go in successive waves (a statement may not change one row twice); within a
/// wave, rows are locked in a fixed order (tenant, then stream or key), so two nodes writing overlapping batches wait
/// for each other instead of deadlocking. The leases of the appends' fences are locked first (<c>FOR SHARE</c>, so a
/// takeover waits for the commit), a stream's timers are written in its wave under its stream row's lock, and the
/// effect keys of all the appends are inserted last, in key order.
/// </summary>
internal sealed class AppendStatements(string schema)
{
    private readonly string _lockFence = PostgreSqlCoordinationStore.FenceCheckSql(schema);

    // A racing writer of the row holds it: this waits for it to finish and then finds the row gone or moved.
    private readonly string _fireTimers = $"""
        DELETE FROM {schema}.timers t
        USING unnest(@tenants, @streams, @names, @dues) AS u(tenant, stream_id, name, due_at)
        WHERE t.tenant = u.tenant AND t.stream_id = u.stream_id AND t.name = u.name AND t.due_at = u.due_at
        """;

    private readonly string _cancelTimers = $"""
        DELETE FROM {schema}.timers t
        USING unnest(@tenants, @streams, @names) AS u(tenant, stream_id, name)
        WHERE t.tenant = u.tenant AND t.stream_id = u.stream_id AND t.name = u.name
        """;

    private readonly string _scheduleTimers = $"""
        INSERT INTO {schema}.timers (tenant, stream_id, name, due_at, payload)
        SELECT * FROM unnest(@tenants, @streams, @names, @dues, @payloads)
        ON CONFLICT (tenant, stream_id, name) DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload
        """;

    // ON CONFLICT waits for a racing inserter of the key to finish; the row count then says whether this one applied it.
    private readonly string _applyEffects = $"""
        INSERT INTO {schema}.effects (effect_key, tenant, stream_id, position)
        SELECT * FROM unnest(@keys, @tenants, @streams, @positions)
        ON CONFLICT DO NOTHING
        """;

    private readonly string _createStreams = $"""
        INSERT INTO {schema}.streams (tenant, stream_id, version)
        SELECT * FROM unnest(@tenants, @streams, @versions)
        ON CONFLICT DO NOTHING
        """;

    private readonly string _lockStreams = $"""
        SELECT 1 FROM {schema}.streams s
        JOIN unnest(@tenants, @streams) AS u(tenant, stream_id) ON s.tenant = u.tenant AND s.stream_id = u.stream_id
        ORDER BY s.tenant, s.stream_id
        FOR UPDATE OF s
        """;

    private readonly string _moveStreams = $"""
        UPDATE {schema}.streams s SET version = u.next
        FROM unnest(@tenants, @streams, @expected, @next) AS u(tenant, stream_id, expected, next)
        WHERE s.tenant = u.tenant AND s.stream_id = u.stream_id AND s.version = u.expected
        """;

    private readonly string _insertEvents = $"""
        INSERT INTO {schema}.events (position, tenant, stream_id, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload)
        SELECT * FROM unnest(@positions, @tenants, @streams, @versions, @ids, @types, @schemas, @times, @actors, @correlations, @causations, @payloads)
        """;

    private readonly string _upsertRecords = $"""
        INSERT INTO {schema}.records (tenant, type, id, version, deleted, created_at, updated_at, data, data_text, search_text, search)
        SELECT r.tenant, r.type, r.id, r.version, r.deleted, r.created_at, r.updated_at, r.data::jsonb, r.data, r.search_text, to_tsvector('simple', r.tokens)
        FROM unnest(@tenants, @types, @ids, @versions, @deleted, @created, @updated, @data, @search, @tokens)
            AS r(tenant, type, id, version, deleted, created_at, updated_at, data, search_text, tokens)
        ON CONFLICT (tenant, type, id) DO UPDATE SET
            version = excluded.version, deleted = excluded.deleted, created_at = excluded.created_at, updated_at = excluded.updated_at,
            data = excluded.data, data_text = excluded.data_text, search_text = excluded.search_text, search = excluded.search
        """;

    // A replaced row's claims replace its stream's: keys it no longer claims are freed before anyone claims.
    private readonly string _releaseKeys = $"""
        DELETE FROM {schema}.unique_keys k
        USING unnest(@tenants, @streams) AS r(tenant, stream_id)
        WHERE k.tenant = r.tenant AND k.stream_id = r.stream_id
          AND NOT EXISTS (
              SELECT 1 FROM unnest(@claimTenants, @claimStreams, @kinds, @values) AS c(tenant, stream_id, kind, value)
              WHERE c.tenant = k.tenant AND c.stream_id = k.stream_id AND c.kind = k.kind AND c.value = k.value)
        """;

    // ON CONFLICT waits for a racing claimant to finish, so the holders read next are committed, never a guess.
    private readonly string _claimKeys = $"""
        INSERT INTO {schema}.unique_keys (tenant, kind, value, stream_id)
        SELECT * FROM unnest(@tenants, @kinds, @values, @streams)
        ON CONFLICT (tenant, kind, value) DO NOTHING
        """;

    private readonly string _foreignHolders = $"""
        SELECT 1 FROM unnest(@tenants, @kinds, @values, @streams) AS c(tenant, kind, value, stream_id)
        JOIN {schema}.unique_keys k ON k.tenant = c.tenant AND k.kind = c.kind AND k.value = c.value
        WHERE k.stream_id <> c.stream_id
        """;

    private readonly string _deleteLinks = $"""
        DELETE FROM {schema}.links l
        USING unnest(@tenants, @streams) AS u(tenant, stream_id)
        WHERE l.tenant = u.tenant AND l.owner_stream = u.stream_id
        """;

    private readonly string _insertLinks = $"""
        INSERT INTO {schema}.links (tenant, owner_stream, owner_type, target_stream, role)
        SELECT * FROM unnest(@tenants, @streams, @types, @targets, @roles)
        ON CONFLICT (tenant, owner_stream, target_stream) DO UPDATE SET owner_type = excluded.owner_type, role = excluded.role
        """;

    /// <summary>
    /// The statements writing <paramref name="appends"/> in order, their events taking <paramref name="positions"/>
    /// in order. <paramref name="prepare"/> keeps them prepared on the connection, for a connection that writes often.
    /// </summary>
    public StatementBatch Build(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<AppendRequest> appends, ArraySegment<long> positions, bool prepare)
    {
        var batch = new StatementBatch(connection, transaction, prepare);
        AddFences(batch, appends);
        var firstEvent = new int[appends.Count];
        var waves = new List<List<int>>();
        var seen = new Dictionary<(string Tenant, string Stream), int>();
        for (int i = 0, events = 0; i < appends.Count; events += appends[i].Events.Count, i++)
        {
            firstEvent[i] = events;
            var stream = (appends[i].Tenant, appends[i].StreamId);
            var wave = seen.GetValueOrDefault(stream);
            seen[stream] = wave + 1;
            if (wave == waves.Count)
            {
                waves.Add([]);
            }

            waves[wave].Add(i);
        }

        foreach (var wave in waves)
        {
            wave.Sort((a, b) => CompareStreams(appends[a], appends[b]));
            var writes = wave.Select(i => new Write(appends[i], positions.Slice(firstEvent[i], appends[i].Events.Count))).ToList();
            AddStreams(batch, writes);
            AddEvents(batch, writes);
            AddTimers(batch, writes);
            AddRows(batch, writes.Where(w => w.Append.Row is not null).ToList());
        }

        AddEffects(batch, appends, positions, firstEvent);
        return batch;
    }

    /// <summary>Locks the lease row of each fence at its epoch; a fence whose lease moved on locks nothing.</summary>
    private void AddFences(StatementBatch batch, IReadOnlyList<AppendRequest> appends)
    {
        SortedSet<LeaseFence>? fences = null;
        foreach (var append in appends)
        {
            if (append.Fence is { } fence)
            {
                (fences ??= new(FenceOrder.Instance)).Add(fence);
            }
        }

        foreach (var fence in fences ?? [])
        {
            var check = batch.Add(_lockFence);
            PostgreSqlCoordinationStore.AddFenceParameters(check.Parameters, fence);
            batch.ExpectRows(check, 1);
        }
    }

    /// <summary>The timers the wave's appends fire, cancel and schedule, in that order.</summary>
    private void AddTimers(StatementBatch batch, List<Write> writes)
    {
        if (!writes.Exists(w => w.Append.FiresTimer is not null || w.Append.CancelTimers.Count > 0 || w.Append.ScheduleTimers.Count > 0))
        {
            return;
        }

        var fired = writes.Where(w => w.Append.FiresTimer is not null).ToList();
        if (fired.Count > 0)
        {
            var fire = batch.Add(_fireTimers);
            fire.Parameters.AddWithValue("tenants", fired.Select(w => w.Append.Tenant).ToArray());
            fire.Parameters.AddWithValue("streams", fired.Select(w => w.Append.StreamId).ToArray());
            fire.Parameters.AddWithValue("names", fired.Select(w => w.Append.FiresTimer!.Name).ToArray());
            fire.Parameters.AddWithValue("dues", fired.Select(w => w.Append.FiresTimer!.DueAt.UtcTicks).ToArray());
            batch.ExpectRows(fire, fired.Count);
        }

        var cancelled = writes.SelectMany(w => w.Append.CancelTimers.Select(name => (w.Append, Name: name))).ToList();
        if (cancelled.Count > 0)
        {
            var cancel = batch.Add(_cancelTimers);
            cancel.Parameters.AddWithValue("tenants", cancelled.Select(c => c.Append.Tenant).ToArray());
            cancel.Parameters.AddWithValue("streams", cancelled.Select(c => c.Append.StreamId).ToArray());
            cancel.Parameters.AddWithValue("names", cancelled.Select(c => c.Name).ToArray());
        }

        // One row per name, the last schedule winning, as a statement may not change one row twice.
        var scheduled = writes
            .SelectMany(w => w.Append.ScheduleTimers.GroupBy(t => t.Name, StringComparer.Ordinal).Select(g => (w.Append, Timer: g.Last())))
            .ToList();
        if (scheduled.Count > 0)
        {
            var schedule = batch.Add(_scheduleTimers);
            schedule.Parameters.AddWithValue("tenants", scheduled.Select(s => s.Append.Tenant).ToArray());
            schedule.Parameters.AddWithValue("streams", scheduled.Select(s => s.Append.StreamId).ToArray());
            schedule.Parameters.AddWithValue("names", scheduled.Select(s => s.Timer.Name).ToArray());
            schedule.Parameters.AddWithValue("dues", scheduled.Select(s => s.Timer.DueAt.UtcTicks).ToArray());
            AddNullableText(schedule, "payloads", scheduled.Select(s => s.Timer.PayloadJson).ToArray());
        }
    }

    /// <summary>The appends' effect keys, each with the position of its append's last event, in key order.</summary>
    private void AddEffects(StatementBatch batch, IReadOnlyList<AppendRequest> appends, ArraySegment<long> positions, int[] firstEvent)
    {
        List<(string Key, string Tenant, string Stream, long Position)>? effects = null;
        for (var i = 0; i < appends.Count; i++)
        {
            if (appends[i].EffectKey is { } key)
            {
                (effects ??= []).Add((key, appends[i].Tenant, appends[i].StreamId, positions[firstEvent[i] + appends[i].Events.Count - 1]));
            }
        }

        if (effects is null)
        {
            return;
        }

        effects.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var apply = batch.Add(_applyEffects);
        apply.Parameters.AddWithValue("keys", effects.ConvertAll(e => e.Key).ToArray());
        apply.Parameters.AddWithValue("tenants", effects.ConvertAll(e => e.Tenant).ToArray());
        apply.Parameters.AddWithValue("streams", effects.ConvertAll(e => e.Stream).ToArray());
        apply.Parameters.AddWithValue("positions", effects.ConvertAll(e => e.Position).ToArray());
        batch.ExpectRows(apply, effects.Count);
    }

    private void AddStreams(StatementBatch batch, List<Write> writes)
    {
        var created = writes.Where(w => w.Append.ExpectedVersion == 0).ToList();
        if (created.Count > 0)
        {
            var create = batch.Add(_createStreams);
            create.Parameters.AddWithValue("tenants", created.Select(w => w.Append.Tenant).ToArray());
            create.Parameters.AddWithValue("streams", created.Select(w => w.Append.StreamId).ToArray());
            create.Parameters.AddWithValue("versions", created.Select(w => w.NextVersion).ToArray());
            batch.ExpectRows(create, created.Count);
        }

        var moved = writes.Where(w => w.Append.ExpectedVersion > 0).ToList();
        if (moved.Count > 0)
        {
            var tenants = moved.Select(w => w.Append.Tenant).ToArray();
            var streams = moved.Select(w => w.Append.StreamId).ToArray();
            var lockRows = batch.Add(_lockStreams);
            lockRows.Parameters.AddWithValue("tenants", tenants);
            lockRows.Parameters.AddWithValue("streams", streams);

            // A racing writer of the same stream holds the row; this waits for it to finish and then sees its
            // version, so of two appends at one expected version exactly one moves the stream.
            var move = batch.Add(_moveStreams);
            move.Parameters.AddWithValue("tenants", tenants);
            move.Parameters.AddWithValue("streams", streams);
            move.Parameters.AddWithValue("expected", moved.Select(w => w.Append.ExpectedVersion).ToArray());
            move.Parameters.AddWithValue("next", moved.Select(w => w.NextVersion).ToArray());
            batch.ExpectRows(move, moved.Count);
        }
    }

    private void AddEvents(StatementBatch batch, List<Write> writes)
    {
        var positions = writes.SelectMany(w => w.Positions).ToArray();
        BindEvents(batch.Add(_insertEvents), writes.ConvertAll(w => w.Append), positions);
    }

    /// <summary>
    /// Binds the events of <paramref name="appends"/>, in order, as the arrays the events insert reads (@tenants,
    /// @streams, @versions, @ids, …), with <paramref name="positions"/> as @positions when given.
    /// </summary>
    internal static void BindEvents(NpgsqlBatchCommand command, IReadOnlyList<AppendRequest> appends, long[]? positions)
    {
        var n = appends.Sum(a => a.Events.Count);
        var tenants = new string[n];
        var streams = new string[n];
        var versions = new long[n];
        var ids = new Guid[n];
        var types = new string[n];
        var schemas = new int[n];
        var times = new long[n];
        var actors = new string[n];
        var correlations = new string?[n];
        var causations = new string?[n];
        var payloads = new string[n];
        var row = 0;
        foreach (var append in appends)
        {
            for (var i = 0; i < append.Events.Count; i++, row++)
            {
                var e = append.Events[i];
                tenants[row] = append.Tenant;
                streams[row] = append.StreamId;
                versions[row] = append.ExpectedVersion + i + 1;
                ids[row] = e.EventId;
                types[row] = e.Type;
                schemas[row] = e.SchemaVersion;
                times[row] = e.Time.UtcTicks;
                actors[row] = e.Actor.ToString();
                correlations[row] = e.CorrelationId;
                causations[row] = e.CausationId;
                payloads[row] = e.PayloadJson;
            }
        }

        if (positions is not null)
        {
            command.Parameters.AddWithValue("positions", positions);
        }

        command.Parameters.AddWithValue("tenants", tenants);
        command.Parameters.AddWithValue("streams", streams);
        command.Parameters.AddWithValue("versions", versions);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("types", types);
        command.Parameters.AddWithValue("schemas", schemas);
        command.Parameters.AddWithValue("times", times);
        command.Parameters.AddWithValue("actors", actors);
        AddNullableText(command, "correlations", correlations);
        AddNullableText(command, "causations", causations);
        command.Parameters.AddWithValue("payloads", payloads);
    }

    /// <summary>Binds read-model rows as the arrays the records insert reads (@tenants, @types, @ids, …, @tokens).</summary>
    internal static void BindRecords(NpgsqlBatchCommand command, IReadOnlyList<(string Tenant, RecordRow Row)> rows)
    {
        command.Parameters.AddWithValue("tenants", rows.Select(r => r.Tenant).ToArray());
        command.Parameters.AddWithValue("types", rows.Select(r => r.Row.Type).ToArray());
        command.Parameters.AddWithValue("ids", rows.Select(r => r.Row.Id).ToArray());
        command.Parameters.AddWithValue("versions", rows.Select(r => r.Row.Version).ToArray());
        command.Parameters.AddWithValue("deleted", rows.Select(r => r.Row.Deleted).ToArray());
        command.Parameters.AddWithValue("created", rows.Select(r => r.Row.CreatedAt.UtcTicks).ToArray());
        command.Parameters.AddWithValue("updated", rows.Select(r => r.Row.UpdatedAt.UtcTicks).ToArray());
        command.Parameters.AddWithValue("data", rows.Select(r => r.Row.DataJson).ToArray());
        command.Parameters.AddWithValue("search", rows.Select(r => r.Row.SearchText).ToArray());
        command.Parameters.AddWithValue("tokens", rows.Select(r => SearchTokens.ForIndex(r.Row.SearchText)).ToArray());
    }

    private void AddRows(StatementBatch batch, List<Write> writes)
    {
        if (writes.Count == 0)
        {
            return;
        }

        BindRecords(batch.Add(_upsertRecords), writes.ConvertAll(w => (w.Append.Tenant, w.Row)));

        var claims = writes
            .SelectMany(w => w.Row.UniqueClaims.Select(c => (w.Append.Tenant, c.Kind, c.Value, Stream: w.Append.StreamId)))
            .OrderBy(c => c.Tenant, StringComparer.Ordinal).ThenBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.Value, StringComparer.Ordinal)
            .ToList();
        var claimTenants = claims.Select(c => c.Tenant).ToArray();
        var claimKinds = claims.Select(c => c.Kind).ToArray();
        var claimValues = claims.Select(c => c.Value).ToArray();
        var claimStreams = claims.Select(c => c.Stream).ToArray();

        // A stream at version 0 has never had a row, claims or links, so there is nothing to replace.
        var replaced = writes.Where(w => w.Append.ExpectedVersion > 0).ToList();
        if (replaced.Count > 0)
        {
            var tenants = replaced.Select(w => w.Append.Tenant).ToArray();
            var streams = replaced.Select(w => w.Append.StreamId).ToArray();
            var release = batch.Add(_releaseKeys);
            release.Parameters.AddWithValue("tenants", tenants);
            release.Parameters.AddWithValue("streams", streams);
            release.Parameters.AddWithValue("claimTenants", claimTenants);
            release.Parameters.AddWithValue("claimStreams", claimStreams);
            release.Parameters.AddWithValue("kinds", claimKinds);
            release.Parameters.AddWithValue("values", claimValues);

            var unlink = batch.Add(_deleteLinks);
            unlink.Parameters.AddWithValue("tenants", tenants);
            unlink.Parameters.AddWithValue("streams", streams);
        }

        if (claims.Count > 0)
        {
            foreach (var sql in (string[])[_claimKeys, _foreignHolders])
            {
                var command = batch.Add(sql);
                command.Parameters.AddWithValue("tenants", claimTenants);
                command.Parameters.AddWithValue("kinds", claimKinds);
                command.Parameters.AddWithValue("values", claimValues);
                command.Parameters.AddWithValue("streams", claimStreams);
                if (sql == _foreignHolders)
                {
                    batch.ExpectRows(command, 0);
                }
            }
        }

        AddLinks(batch, writes);
    }

    private void AddLinks(StatementBatch batch, List<Write> writes)
    {
        var tenants = new List<string>();
        var owners = new List<string>();
        var types = new List<string>();
        var targets = new List<string>();
        var roles = new List<string?>();
        foreach (var write in writes)
        {
            // One row per target, the last link winning, as a statement may not change one row twice.
            var links = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var link in write.Row.Links)
            {
                links[StreamIds.ForRecord(link.TargetType, link.TargetId)] = link.Role;
            }

            foreach (var (target, role) in links)
            {
                tenants.Add(write.Append.Tenant);
                owners.Add(write.Append.StreamId);
                types.Add(write.Row.Type);
                targets.Add(target);
                roles.Add(role);
            }
        }

        if (targets.Count == 0)
        {
            return;
        }

        var insert = batch.Add(_insertLinks);
        insert.Parameters.AddWithValue("tenants", tenants.ToArray());
        insert.Parameters.AddWithValue("streams", owners.ToArray());
        insert.Parameters.AddWithValue("types", types.ToArray());
        insert.Parameters.AddWithValue("targets", targets.ToArray());
        AddNullableText(insert, "roles", roles.ToArray());
    }

    private static void AddNullableText(NpgsqlBatchCommand command, string name, string?[] values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values });

    private static int CompareStreams(AppendRequest a, AppendRequest b)
    {
        var byTenant = string.CompareOrdinal(a.Tenant, b.Tenant);
        return byTenant != 0 ? byTenant : string.CompareOrdinal(a.StreamId, b.StreamId);
    }

    /// <summary>Fences by lease name, then owner and epoch: the order their lease rows are locked in.</summary>
    private sealed class FenceOrder : IComparer<LeaseFence>
    {
        public static readonly FenceOrder Instance = new();

        public int Compare(LeaseFence? x, LeaseFence? y)
        {
            var byName = string.CompareOrdinal(x!.Name, y!.Name);
            if (byName != 0)
            {
                return byName;
            }

            var byOwner = string.CompareOrdinal(x.Owner, y.Owner);
            return byOwner != 0 ? byOwner : x.Epoch.CompareTo(y.Epoch);
        }
    }

    /// <summary>An append and the positions its events take.</summary>
    private readonly record struct Write(AppendRequest Append, ArraySegment<long> Positions)
    {
        public long NextVersion => Append.ExpectedVersion + Append.Events.Count;

        public RecordRow Row => Append.Row!;
    }
}

/// <summary>Statements sent in one round trip, and the row counts that say every append took effect.</summary>
internal sealed class StatementBatch(NpgsqlConnection connection, NpgsqlTransaction transaction, bool prepare) : IAsyncDisposable
{
    private readonly NpgsqlBatch _batch = new(connection, transaction);
    private readonly List<(NpgsqlBatchCommand Command, ulong Rows)> _expected = [];

    public NpgsqlBatchCommand Add(string sql)
    {
        var command = new NpgsqlBatchCommand(sql);
        _batch.BatchCommands.Add(command);
        return command;
    }

    /// <summary>Runs <paramref name="sql"/> before the other statements, in the same round trip.</summary>
    public void StartWith(string sql) => _batch.BatchCommands.Insert(0, new NpgsqlBatchCommand(sql));

    /// <summary>The statement changes (or returns) exactly <paramref name="rows"/> rows when every append took effect.</summary>
    public void ExpectRows(NpgsqlBatchCommand command, int rows) => _expected.Add((command, (ulong)rows));

    /// <summary>Runs the statements; false when a row count says an append lost a race to another writer.</summary>
    public async Task<bool> ExecuteAsync(CancellationToken cancellationToken)
    {
        if (prepare)
        {
            // A no-op, without a round trip, once the connection has these statements.
            await _batch.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }

        await _batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return _expected.TrueForAll(e => e.Command.Rows == e.Rows);
    }

    public ValueTask DisposeAsync() => _batch.DisposeAsync();
}
