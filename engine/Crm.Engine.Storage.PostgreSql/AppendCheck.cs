using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Refuses the appends of a batch that cannot succeed, before anything is written: it reads the versions of the
/// batch's streams and the holders of the keys it claims in one round trip, then walks the batch in order as if each
/// append were applied after the previous ones. A stale append, or one claiming a key another stream holds (or a
/// batch-mate claimed just before it), gets its error and is left out; the others go on to be written. The check
/// reads committed data only, so it is advice: the statements that write check again, under the database's locks.
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

    /// <summary>
    /// Sets <see cref="PendingAppend.Error"/> on every writable append that cannot succeed and returns the others, in
    /// batch order, with the state they leave. Reads in <paramref name="transaction"/>, so that it sees the batch
    /// written so far, and takes <paramref name="reservation"/> in the same round trip when given. <paramref
    /// name="committing"/> is the state left by a batch still committing: what it changed counts as done. The
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
        }

        await using var reads = new NpgsqlBatch(connection, transaction);
        var versions = new NpgsqlBatchCommand(_streamVersions);
        versions.Parameters.AddWithValue("tenants", streams.Select(s => s.Tenant).ToArray());
        versions.Parameters.AddWithValue("streams", streams.Select(s => s.Stream).ToArray());
        reads.BatchCommands.Add(versions);
        if (keys.Count > 0)
        {
            var holders = new NpgsqlBatchCommand(_keyHolders);
            holders.Parameters.AddWithValue("tenants", keys.Select(k => k.Tenant).ToArray());
            holders.Parameters.AddWithValue("kinds", keys.Select(k => k.Kind).ToArray());
            holders.Parameters.AddWithValue("values", keys.Select(k => k.Value).ToArray());
            reads.BatchCommands.Add(holders);
        }

        reservation?.AddTo(reads);
        await reads.PrepareAsync(cancellationToken).ConfigureAwait(false);
        await using var reader = await reads.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            state.Versions[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        if (keys.Count > 0)
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                state.Holders[(reader.GetString(0), reader.GetString(1), reader.GetString(2))] = reader.GetString(3);
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

    /// <summary>Stream versions and key holders as they stand after the appends accepted so far.</summary>
    internal sealed class State
    {
        private readonly HashSet<(string Tenant, string Stream)> _changedStreams = [];
        private readonly HashSet<(string Tenant, string Kind, string Value)> _changedKeys = [];
        private readonly Dictionary<(string Tenant, string Stream), IReadOnlyList<UniqueClaim>> _claimsOfRows = [];

        /// <summary>Versions of the batch's streams; a stream missing here has no events.</summary>
        public Dictionary<(string Tenant, string Stream), long> Versions { get; } = [];

        /// <summary>Holders of the keys the batch claims; a key missing here (or held by null) is free.</summary>
        public Dictionary<(string Tenant, string Kind, string Value), string?> Holders { get; } = [];

        public Exception? Refusal(AppendRequest request)
        {
            var actual = Versions.GetValueOrDefault((request.Tenant, request.StreamId));
            if (actual != request.ExpectedVersion)
            {
                return new ConcurrencyConflictException(request.StreamId, request.ExpectedVersion, actual);
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
        }

        public void Apply(AppendRequest request)
        {
            Versions[(request.Tenant, request.StreamId)] = request.ExpectedVersion + request.Events.Count;
            _changedStreams.Add((request.Tenant, request.StreamId));
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
    }
}
