namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Checks and writes one append inside the writer's open transaction: the version check, the events and, when the
/// append carries a row, the read-model row, its search entry, its uniqueness claims and links.
/// Positions and row ids are assigned here, in memory, because only this writer ever inserts.
/// </summary>
internal sealed class StreamAppender(WriterStatements statements, CoordinationStatements coordination)
{
    private readonly List<UniqueClaim> _heldKeys = [];

    /// <summary>The last position and row id handed out (committed or in the open transaction).</summary>
    public (long Position, long Rid) Mark { get; private set; }

    /// <summary>Forgets what was handed out after <paramref name="mark"/>, after a rollback.</summary>
    public void Reset((long Position, long Rid) mark) => Mark = mark;

    public void Start(long lastPosition, long lastRid) => Mark = (lastPosition, lastRid);

    /// <summary>
    /// Refuses the append if it cannot succeed — the stream is at another version, or a unique key it claims belongs
    /// to another stream — without writing anything, so a refused append needs no rollback.
    /// </summary>
    public void Check(AppendRequest request)
    {
        var tenant = request.Tenant;
        var streamId = request.StreamId;
        CheckFenceAndEffect(request);
        var actual = statements.StreamVersion(tenant, streamId);
        if (actual != request.ExpectedVersion)
        {
            throw new ConcurrencyConflictException(streamId, request.ExpectedVersion, actual);
        }

        if (request.FiresTimer is { } firing && coordination.TimerDue(tenant, streamId, firing.Name) != firing.DueAt.UtcTicks)
        {
            throw new TimerNotPendingException(streamId + "#" + firing.Name);
        }
        if (request.Row is null)
        {
            return;
        }

        foreach (var key in request.Row.UniqueClaims)
        {
            var holder = statements.KeyHolder(tenant, key);
            if (holder is not null && holder != streamId)
            {
                throw new DuplicateRecordException(FieldOf(key.Kind), key.Value, RecordIdOf(holder));
            }
        }
    }

    /// <summary>Writes an append that passed <see cref="Check"/> in the same transaction.</summary>
    public AppendResult Write(AppendRequest request)
    {
        var tenant = request.Tenant;
        var streamId = request.StreamId;
        var (position, rid) = Mark;
        var firstPosition = position + 1;
        var version = request.ExpectedVersion;
        foreach (var e in request.Events)
        {
            statements.InsertEvent(++position, tenant, streamId, ++version, e);
        }

        WriteWork(request, position);
        if (request.Row is { } row)
        {
            // A stream at version 0 has never had a row, claims or links, so there is nothing to look up or replace.
            var isNew = request.ExpectedVersion == 0;
            WriteRow(tenant, row, isNew, ref rid);
            WriteUniqueKeys(tenant, streamId, row.UniqueClaims, isNew);
            WriteLinks(tenant, streamId, row, isNew);
        }

        Mark = (position, rid);
        return new AppendResult(version, firstPosition, position);
    }

    /// <summary>
    /// A lost lease or an effect already applied refuses the append before the version check: a retried effect is
    /// "already applied" even though the stream has moved on since.
    /// </summary>
    private void CheckFenceAndEffect(AppendRequest request)
    {
        if (request.Fence is { } fence)
        {
            coordination.CheckFence(fence);
        }

        if (request.EffectKey is { } effectKey && coordination.EffectApplied(effectKey))
        {
            throw new EffectAlreadyAppliedException(effectKey);
        }
    }

    /// <summary>Timers fired, cancelled and scheduled (in that order, so one append can fire a timer and set it again) and the effect key.</summary>
    private void WriteWork(AppendRequest request, long lastPosition)
    {
        var (tenant, streamId) = (request.Tenant, request.StreamId);
        if (request.FiresTimer is { } firing)
        {
            coordination.DeleteTimer(tenant, streamId, firing.Name);
        }

        foreach (var name in request.CancelTimers)
        {
            coordination.DeleteTimer(tenant, streamId, name);
        }

        foreach (var timer in request.ScheduleTimers)
        {
            coordination.UpsertTimer(tenant, streamId, timer);
        }

        if (request.EffectKey is { } effectKey)
        {
            coordination.InsertEffect(effectKey, tenant, streamId, lastPosition);
        }
    }

    private void WriteRow(string tenant, RecordRow row, bool isNew, ref long rid)
    {
        if (!isNew && statements.FindRecord(tenant, row.Type, row.Id, out var existing, out var indexedText))
        {
            statements.UpdateRecord(existing, row);
            if (!string.Equals(indexedText, row.SearchText, StringComparison.Ordinal))
            {
                statements.IndexText(existing, row.SearchText);
            }

            return;
        }

        statements.InsertRecord(++rid, tenant, row);
        statements.IndexText(rid, row.SearchText);
    }

    private void WriteUniqueKeys(string tenant, string streamId, IReadOnlyList<UniqueClaim> keys, bool isNew)
    {
        _heldKeys.Clear();
        if (!isNew)
        {
            statements.KeysOfStream(tenant, streamId, _heldKeys);
            foreach (var held in _heldKeys)
            {
                if (!Contains(keys, held))
                {
                    statements.ReleaseKey(tenant, held);
                }
            }
        }

        foreach (var key in keys)
        {
            if (Contains(_heldKeys, key) || statements.TryClaimKey(tenant, key, streamId))
            {
                continue;
            }

            // Check found the key free or ours; anything else means the data changed underneath and must not be hidden.
            var holder = statements.KeyHolder(tenant, key);
            if (holder is not null && holder != streamId)
            {
                throw new DuplicateRecordException(FieldOf(key.Kind), key.Value, RecordIdOf(holder));
            }
        }
    }

    private void WriteLinks(string tenant, string streamId, RecordRow row, bool isNew)
    {
        if (!isNew)
        {
            statements.DeleteLinks(tenant, streamId);
        }

        foreach (var link in row.Links)
        {
            statements.InsertLink(tenant, streamId, row.Type, StreamIds.ForRecord(link.TargetType, link.TargetId), link.Role);
        }
    }

    private static bool Contains(IReadOnlyList<UniqueClaim> keys, UniqueClaim key)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i] == key)
            {
                return true;
            }
        }

        return false;
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
