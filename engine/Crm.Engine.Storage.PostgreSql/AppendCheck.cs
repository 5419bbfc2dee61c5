using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Refuses the appends of a batch that cannot succeed, before anything is written: it reads the versions of the
/// batch's streams and the holders of the keys it claims in one round trip — and, for the batch's appends that carry
/// them, the holders of their fences' leases, the effect keys already applied and the due times of the timers they
/// fire — then walks the batch in order as if each append were applied after the previous ones. An append under a
/// lost lease, with an effect key already applied, stale, firing a timer not pending at that due time, or claiming a
/// key another stream holds (checked in that order; a batch-mate's effect key, timers and claims count) gets its
/// error and is left out; the others go on to be written. The check reads committed data only, so it is advice: the
/// statements that write check again, under the database's locks.
/// </summary>
internal sealed class AppendCheck(string schema)
{
    private readonly string _streamVersions = $"""
        SELECT u.tenant, u.stream_id, s.version
        FROM unnest(@tenants, @streams) AS u(tenant, stream_id)
        JOIN {schema}.streams s ON s.tenant = u.tenant AND s.stream_id = u.stream_id
        """;

    private readonly string _keyHolders = $"""
        SELECT u.tenant, u.kind, u.value, k.stream_id
        FROM unnest(@tenants, @kinds, @values) AS u(tenant, kind, value)
        JOIN {schema}.unique_keys k ON k.tenant = u.tenant AND k.kind = u.kind AND k.value = u.value
        """;

    private readonly string _leaseHolders = $"""
        SELECT l.name, l.owner, l.epoch
        FROM unnest(@names) AS u(name)
        JOIN {schema}.leases l ON l.name = u.name
        """;

    private readonly string _appliedEffects = $"""
        SELECT e.effect_key
        FROM unnest(@keys) AS u(effect_key)
        JOIN {schema}.effects e ON e.effect_key = u.effect_key
        """;

    private readonly string _pendingTimers = $"""
        SELECT u.tenant, u.stream_id, u.name, t.due_at
        FROM unnest(@tenants, @streams, @names) AS u(tenant, stream_id, name)
        JOIN {schema}.timers t ON t.tenant = u.tenant AND t.stream_id = u.stream_id AND t.name = u.name
        """;

    /// <summary>
    /// Sets <see cref="PendingAppend.Error"/> on every writable append that cannot succeed and returns the others, in
    /// batch order, with the state they leave. Reads in <paramref name="transaction"/>, so that it sees the batch
    /// written so far, and takes <paramref name="reservation"/> in the same round trip when given. <paramref
    /// name="committing"/> is the state left by a batch still committing: what it changed counts as done, except an
    /// effect key it applies: an append with that key is <see cref="PendingAppend.Deferred"/> to a batch checked once
    /// that one has committed, as refusing it would drop the effect if that batch failed to commit after all. The
    /// statements are prepared: <paramref name="connection"/> must be a writer's (see <see cref="GroupCommitWriter"/>).
    /// </summary>
    public async Task<(List<PendingAppend> Accepted, State After)> RunAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingAppend> batch, State? committing, PositionReservation? reservation, CancellationToken cancellationToken)
    {
        var state = await ReadAsync(connection, transaction, batch, reservation, cancellationToken).ConfigureAwait(false);
        committing?.ApplyChangesTo(state);
        var accepted = new List<PendingAppend>(batch.Count);
        foreach (var pending in batch)
        {
            if (!pending.Writable)
            {
                continue;
            }

            if (state.AppliesEffectOfCommitting(pending.Request))
            {
                pending.Deferred = true;
                continue;
            }

            pending.Error = state.Refusal(pending.Request);
            if (pending.Error is null)
            {
                state.Apply(pending.Request);
                accepted.Add(pending);
            }
        }

        return (accepted, state);
    }

    private async Task<State> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingAppend> batch, PositionReservation? reservation, CancellationToken cancellationToken)
    {
        var state = new State();
        var streams = new HashSet<(string Tenant, string Stream)>();
        var keys = new HashSet<(string Tenant, string Kind, string Value)>();
        var leases = new HashSet<string>();
        var effects = new HashSet<string>();
        var firings = new HashSet<(string Tenant, string Stream, string Name)>();
        foreach (var pending in batch)
        {
            if (!pending.Writable)
            {
                continue;
            }

            var request = pending.Request;
            streams.Add((request.Tenant, request.StreamId));
            foreach (var claim in request.Row?.UniqueClaims ?? [])
            {
                keys.Add((request.Tenant, claim.Kind, claim.Value));
            }

            if (request.Fence is { } fence)
            {
                leases.Add(fence.Name);
            }

            if (request.EffectKey is { } effectKey)
            {
                effects.Add(effectKey);
            }

            if (request.FiresTimer is { } firing)
            {
                firings.Add((request.Tenant, request.StreamId, firing.Name));
            }
        }

        // Each read is sent only when the batch needs it, and its rows read back in the order the reads were added.
        await using var reads = new NpgsqlBatch(connection, transaction);
        var readers = new List<Action<NpgsqlDataReader>>(5);
        void Read(string sql, Action<NpgsqlParameterCollection> bind, Action<NpgsqlDataReader> read)
        {
            var command = new NpgsqlBatchCommand(sql);
            bind(command.Parameters);
            reads.BatchCommands.Add(command);
            readers.Add(read);
        }

        Read(_streamVersions, p =>
        {
            p.AddWithValue("tenants", streams.Select(s => s.Tenant).ToArray());
            p.AddWithValue("streams", streams.Select(s => s.Stream).ToArray());
        }, r => state.Versions[(r.GetString(0), r.GetString(1))] = r.GetInt64(2));
        if (keys.Count > 0)
        {
            Read(_keyHolders, p =>
            {
                p.AddWithValue("tenants", keys.Select(k => k.Tenant).ToArray());
                p.AddWithValue("kinds", keys.Select(k => k.Kind).ToArray());
                p.AddWithValue("values", keys.Select(k => k.Value).ToArray());
            }, r => state.Holders[(r.GetString(0), r.GetString(1), r.GetString(2))] = r.GetString(3));
        }

        if (leases.Count > 0)
        {
            Read(_leaseHolders, p => p.AddWithValue("names", leases.ToArray()), r => state.Leases[r.GetString(0)] = (r.GetString(1), r.GetInt64(2)));
        }

        if (effects.Count > 0)
        {
            Read(_appliedEffects, p => p.AddWithValue("keys", effects.ToArray()), r => state.Effects.Add(r.GetString(0)));
        }

        if (firings.Count > 0)
        {
            Read(_pendingTimers, p =>
            {
                p.AddWithValue("tenants", firings.Select(t => t.Tenant).ToArray());
                p.AddWithValue("streams", firings.Select(t => t.Stream).ToArray());
                p.AddWithValue("names", firings.Select(t => t.Name).ToArray());
            }, r => state.Timers[(r.GetString(0), r.GetString(1), r.GetString(2))] = r.GetInt64(3));
        }

        reservation?.AddTo(reads);
        await reads.PrepareAsync(cancellationToken).ConfigureAwait(false);
        await using var reader = await reads.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < readers.Count; i++)
        {
            if (i > 0)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }

            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                readers[i](reader);
            }
        }

        if (reservation is not null)
        {
            await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
            await reservation.ReadAsync(reader).ConfigureAwait(false);
        }

        return state;
    }

    /// <summary>The field a key kind guards: <c>contact.email</c> → <c>email</c>.</summary>
    internal static string FieldOf(string kind) => kind[(kind.LastIndexOf('.') + 1)..];

    /// <summary>The record id of a record stream <c>{type}/{id}</c>; other stream ids are returned whole.</summary>
    internal static string RecordIdOf(string streamId)
    {
        var slash = streamId.IndexOf('/');
        return slash < 0 ? streamId : streamId[(slash + 1)..];
    }

    /// <summary>
    /// Stream versions, key holders, effect keys applied and timers pending as they stand after the appends accepted
    /// so far, and the leases the batch's fences name.
    /// </summary>
    internal sealed class State
    {
        private readonly HashSet<(string Tenant, string Stream)> _changedStreams = [];
        private readonly HashSet<(string Tenant, string Kind, string Value)> _changedKeys = [];
        private readonly Dictionary<(string Tenant, string Stream), IReadOnlyList<UniqueClaim>> _claimsOfRows = [];
        private readonly HashSet<string> _appliedEffects = [];
        private readonly HashSet<(string Tenant, string Stream, string Name)> _changedTimers = [];

        /// <summary>Effect keys a batch still committing applies: not applied for sure until it has committed.</summary>
        private readonly HashSet<string> _effectsOfCommitting = [];

        /// <summary>Versions of the batch's streams; a stream missing here has no events.</summary>
        public Dictionary<(string Tenant, string Stream), long> Versions { get; } = [];

        /// <summary>Holders of the keys the batch claims; a key missing here (or held by null) is free.</summary>
        public Dictionary<(string Tenant, string Kind, string Value), string?> Holders { get; } = [];

        /// <summary>Owner and epoch of the leases the batch's fences name; a lease missing here was never taken.</summary>
        public Dictionary<string, (string Owner, long Epoch)> Leases { get; } = [];

        /// <summary>The batch's effect keys already applied.</summary>
        public HashSet<string> Effects { get; } = [];

        /// <summary>Due times (UTC ticks) of the timers the batch fires; one missing here (or null) is not pending.</summary>
        public Dictionary<(string Tenant, string Stream, string Name), long?> Timers { get; } = [];

        /// <summary>True when the append's effect key is one that the batch still committing applies.</summary>
        public bool AppliesEffectOfCommitting(AppendRequest request) =>
            request.EffectKey is { } effectKey && _effectsOfCommitting.Contains(effectKey);

        public Exception? Refusal(AppendRequest request)
        {
            if (request.Fence is { } fence && !(Leases.TryGetValue(fence.Name, out var lease) && lease.Owner == fence.Owner && lease.Epoch == fence.Epoch))
            {
                return new LeaseLostException(fence.Name, fence.Epoch);
            }

            // Before the version: a retried effect is already applied even though its stream has moved on since.
            if (request.EffectKey is { } effectKey && Effects.Contains(effectKey))
            {
                return new EffectAlreadyAppliedException(effectKey);
            }

            var actual = Versions.GetValueOrDefault((request.Tenant, request.StreamId));
            if (actual != request.ExpectedVersion)
            {
                return new ConcurrencyConflictException(request.StreamId, request.ExpectedVersion, actual);
            }

            if (request.FiresTimer is { } firing && Timers.GetValueOrDefault((request.Tenant, request.StreamId, firing.Name)) != firing.DueAt.UtcTicks)
            {
                return new TimerNotPendingException(request.StreamId + "#" + firing.Name);
            }

            foreach (var claim in request.Row?.UniqueClaims ?? [])
            {
                if (Holders.GetValueOrDefault((request.Tenant, claim.Kind, claim.Value)) is { } holder && holder != request.StreamId)
                {
                    return new DuplicateRecordException(FieldOf(claim.Kind), claim.Value, RecordIdOf(holder));
                }
            }

            return null;
        }

        /// <summary>Puts what the accepted appends changed into <paramref name="later"/>, the state a later batch read.</summary>
        public void ApplyChangesTo(State later)
        {
            foreach (var stream in _changedStreams)
            {
                later.Versions[stream] = Versions[stream];
            }

            // A key the later batch found held by a stream whose row this batch replaced is that row's, or free.
            foreach (var (key, holder) in later.Holders.ToList())
            {
                if (holder is not null && _claimsOfRows.TryGetValue((key.Tenant, holder), out var claims) && !claims.Contains(new UniqueClaim(key.Kind, key.Value)))
                {
                    later.Holders[key] = null;
                }
            }

            foreach (var key in _changedKeys)
            {
                later.Holders[key] = Holders[key];
            }

            foreach (var timer in _changedTimers)
            {
                later.Timers[timer] = Timers[timer];
            }

            foreach (var effectKey in _appliedEffects)
            {
                if (!later.Effects.Contains(effectKey))
                {
                    later._effectsOfCommitting.Add(effectKey);
                }
            }
        }

        public void Apply(AppendRequest request)
        {
            Versions[(request.Tenant, request.StreamId)] = request.ExpectedVersion + request.Events.Count;
            _changedStreams.Add((request.Tenant, request.StreamId));
            if (request.EffectKey is { } effectKey)
            {
                Effects.Add(effectKey);
                _appliedEffects.Add(effectKey);
            }

            // Fired, then cancelled, then scheduled, as the statements write them.
            if (request.FiresTimer is { } firing)
            {
                SetTimer(request, firing.Name, null);
            }

            for (var i = 0; i < request.CancelTimers.Count; i++)
            {
                SetTimer(request, request.CancelTimers[i], null);
            }

            for (var i = 0; i < request.ScheduleTimers.Count; i++)
            {
                SetTimer(request, request.ScheduleTimers[i].Name, request.ScheduleTimers[i].DueAt.UtcTicks);
            }

            if (request.Row is not { } row)
            {
                return;
            }

            _claimsOfRows[(request.Tenant, request.StreamId)] = row.UniqueClaims;

            // The row's claims replace the stream's: a key it held and no longer claims is free for a later batch-mate.
            if (request.ExpectedVersion > 0)
            {
                var released = Holders
                    .Where(h => h.Value == request.StreamId && h.Key.Tenant == request.Tenant && !row.UniqueClaims.Contains(new UniqueClaim(h.Key.Kind, h.Key.Value)))
                    .Select(h => h.Key)
                    .ToList();
                foreach (var key in released)
                {
                    Holders[key] = null;
                    _changedKeys.Add(key);
                }
            }

            foreach (var claim in row.UniqueClaims)
            {
                Holders[(request.Tenant, claim.Kind, claim.Value)] = request.StreamId;
                _changedKeys.Add((request.Tenant, claim.Kind, claim.Value));
            }
        }

        private void SetTimer(AppendRequest request, string name, long? dueAt)
        {
            Timers[(request.Tenant, request.StreamId, name)] = dueAt;
            _changedTimers.Add((request.Tenant, request.StreamId, name));
        }
    }
}
