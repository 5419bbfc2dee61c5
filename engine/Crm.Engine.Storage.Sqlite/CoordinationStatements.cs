using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// The writer's statements for leases, checkpoints, outbox rows, effect keys and timers, prepared once on the
/// writer's connection. Every method runs inside the writer's open transaction.
/// </summary>
internal sealed class CoordinationStatements : PreparedStatementSet
{
    private readonly PreparedStatement _lease;
    private readonly PreparedStatement _upsertLease;
    private readonly PreparedStatement _renewLease;
    private readonly PreparedStatement _saveCheckpoint;
    private readonly PreparedStatement _insertOutbox;
    private readonly PreparedStatement _outboxOutcome;
    private readonly PreparedStatement _pruneOutbox;
    private readonly PreparedStatement _replayOutbox;
    private readonly PreparedStatement _effectApplied;
    private readonly PreparedStatement _insertEffect;
    private readonly PreparedStatement _timerDue;
    private readonly PreparedStatement _deleteTimer;
    private readonly PreparedStatement _upsertTimer;
    private readonly byte[] _eventId = new byte[16];

    public CoordinationStatements(SqliteConnection connection)
        : base(connection)
    {
        _lease = Prepare("SELECT owner, epoch, expires_at FROM leases WHERE name = $n", "$n");
        _upsertLease = Prepare(
            "INSERT INTO leases (name, owner, epoch, expires_at) VALUES ($n, $o, $e, $x) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, expires_at = excluded.expires_at",
            "$n", "$o", "$e", "$x");
        _renewLease = Prepare("UPDATE leases SET expires_at = $x WHERE name = $n AND owner = $o AND epoch = $e", "$n", "$o", "$e", "$x");
        _saveCheckpoint = Prepare(
            """
            INSERT INTO checkpoints (subscription, position, epoch, updated_at) VALUES ($s, $p, $e, $at)
            ON CONFLICT (subscription) DO UPDATE SET position = MAX(position, excluded.position), epoch = excluded.epoch, updated_at = excluded.updated_at
            """,
            "$s", "$p", "$e", "$at");
        _insertOutbox = Prepare(
            """
            INSERT INTO outbox (subscription, key, kind, tenant, payload, source_event, created_at, status, attempts, next_attempt_at)
            VALUES ($s, $k, $kind, $t, $payload, $source, $at, 0, 0, $next)
            ON CONFLICT (subscription, key) DO NOTHING
            """,
            "$s", "$k", "$kind", "$t", "$payload", "$source", "$at", "$next");
        _outboxOutcome = Prepare(
            """
            UPDATE outbox SET status = $status, attempts = attempts + 1, next_attempt_at = $next, last_error = $error, completed_at = $done
            WHERE id = $id AND status = 0
            """,
            "$id", "$status", "$next", "$error", "$done");
        _pruneOutbox = Prepare(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE subscription = $s AND status = 1 AND completed_at < $x ORDER BY id LIMIT $max)",
            "$s", "$x", "$max");
        _replayOutbox = Prepare(
            "UPDATE outbox SET status = 0, attempts = 0, next_attempt_at = $next, completed_at = NULL WHERE id = $id AND subscription = $s AND status = 2",
            "$s", "$id", "$next");
        _effectApplied = Prepare("SELECT 1 FROM effects WHERE effect_key = $k", "$k");
        _insertEffect = Prepare("INSERT INTO effects (effect_key, tenant, stream_id, position) VALUES ($k, $t, $s, $p)", "$k", "$t", "$s", "$p");
        _timerDue = Prepare("SELECT due_at FROM timers WHERE tenant = $t AND stream_id = $s AND name = $n", "$t", "$s", "$n");
        _deleteTimer = Prepare("DELETE FROM timers WHERE tenant = $t AND stream_id = $s AND name = $n", "$t", "$s", "$n");
        _upsertTimer = Prepare(
            "INSERT OR REPLACE INTO timers (tenant, stream_id, name, due_at, payload) VALUES ($t, $s, $n, $due, $payload)",
            "$t", "$s", "$n", "$due", "$payload");
    }

    /// <summary>The lease's holder, epoch and expiry, or null when it was never taken.</summary>
    public (string Owner, long Epoch, long ExpiresAt)? Lease(string name)
    {
        using var reader = _lease.Bind(0, name).Reader();
        return reader.Read() ? (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    public void SetLease(string name, string owner, long epoch, long expiresAt) =>
        _upsertLease.Bind(0, name).Bind(1, owner).Bind(2, epoch).Bind(3, expiresAt).Execute();

    /// <summary>Moves a held lease's expiry; false when the lease is not held by that owner at that epoch.</summary>
    public bool RenewLease(LeaseFence fence, long expiresAt) =>
        _renewLease.Bind(0, fence.Name).Bind(1, fence.Owner).Bind(2, fence.Epoch).Bind(3, expiresAt).Execute() == 1;

    /// <summary>Refuses a write made under a lease whose epoch has moved on.</summary>
    public void CheckFence(LeaseFence fence)
    {
        if (Lease(fence.Name) is not { } held || held.Epoch != fence.Epoch || held.Owner != fence.Owner)
        {
            throw new LeaseLostException(fence.Name, fence.Epoch);
        }
    }

    public void SaveCheckpoint(string subscription, long position, long epoch, long now) =>
        _saveCheckpoint.Bind(0, subscription).Bind(1, position).Bind(2, epoch).Bind(3, now).Execute();

    public void InsertOutbox(string subscription, OutboxMessage message, long now)
    {
        byte[]? source = null;
        if (message.SourceEventId is { } id)
        {
            id.TryWriteBytes(_eventId, bigEndian: true, out _);
            source = _eventId;
        }

        _insertOutbox
            .Bind(0, subscription).Bind(1, message.Key).Bind(2, message.Kind).Bind(3, message.Tenant)
            .Bind(4, message.PayloadJson).Bind(5, source).Bind(6, now)
            .Bind(7, message.NotBefore?.UtcTicks ?? now)
            .Execute();
    }

    public void RecordOutboxOutcome(OutboxOutcome outcome) =>
        _outboxOutcome
            .Bind(0, outcome.Id).Bind(1, (long)outcome.Status)
            .Bind(2, (outcome.RetryAt ?? outcome.Now).UtcTicks)
            .Bind(3, outcome.Error)
            .Bind(4, outcome.Status == OutboxStatus.Pending ? null : outcome.Now.UtcTicks)
            .Execute();

    public bool ReplayOutbox(string subscription, long id, long now) =>
        _replayOutbox.Bind(0, subscription).Bind(1, id).Bind(2, now).Execute() == 1;

    public int PruneOutbox(string subscription, long completedBefore, int maxCount) =>
        _pruneOutbox.Bind(0, subscription).Bind(1, completedBefore).Bind(2, (long)maxCount).Execute();

    public bool EffectApplied(string effectKey) => _effectApplied.Bind(0, effectKey).Scalar() is not null;

    public void InsertEffect(string effectKey, string tenant, string streamId, long position) =>
        _insertEffect.Bind(0, effectKey).Bind(1, tenant).Bind(2, streamId).Bind(3, position).Execute();

    /// <summary>The due time (UTC ticks) of a pending timer, or null.</summary>
    public long? TimerDue(string tenant, string streamId, string name) =>
        _timerDue.Bind(0, tenant).Bind(1, streamId).Bind(2, name).Scalar() as long?;

    public void DeleteTimer(string tenant, string streamId, string name) =>
        _deleteTimer.Bind(0, tenant).Bind(1, streamId).Bind(2, name).Execute();

    public void UpsertTimer(string tenant, string streamId, TimerSchedule timer) =>
        _upsertTimer.Bind(0, tenant).Bind(1, streamId).Bind(2, timer.Name).Bind(3, timer.DueAt.UtcTicks).Bind(4, timer.PayloadJson).Execute();

}
