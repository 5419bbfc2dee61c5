using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Leases, checkpoints, outbox rows and timers in the store's file. Writes go through the single writer (so they are
/// serialised with appends and a fence check cannot race a takeover); reads use the read pool.
/// </summary>
internal sealed class SqliteCoordinationStore(GroupCommitWriter writer, ReadConnectionPool readers) : ICoordinationStore
{
    private const string OutboxColumns = CoordinationRows.OutboxColumns;
    private const string TimerColumns = CoordinationRows.TimerColumns;

    public Task<LeaseFence?> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var expiresAt = now + duration;
        return writer.Enqueue<LeaseFence?>(_ => { }, s =>
        {
            var held = s.Coordination.Lease(name);
            long epoch;
            if (held is null)
            {
                epoch = 1;
            }
            else if (held.Value.Owner == owner && held.Value.ExpiresAt > now.UtcTicks)
            {
                epoch = held.Value.Epoch;
            }
            else if (held.Value.ExpiresAt <= now.UtcTicks)
            {
                epoch = held.Value.Epoch + 1;
            }
            else
            {
                return null;
            }

            s.Coordination.SetLease(name, owner, epoch, expiresAt.UtcTicks);
            return new LeaseFence(name, owner, epoch, expiresAt);
        }, cancellationToken);
    }

    public Task<bool> RenewLeaseAsync(LeaseFence fence, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fence);
        return writer.Enqueue(_ => { }, s => s.Coordination.RenewLease(fence, (now + duration).UtcTicks), cancellationToken);
    }

    public Task ReleaseLeaseAsync(LeaseFence fence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fence);
        return writer.Enqueue(_ => { }, s => s.Coordination.RenewLease(fence, 0), cancellationToken);
    }

    public Task<long> GetCheckpointAsync(string subscription, CancellationToken cancellationToken = default) =>
        readers.ReadAsync(connection =>
        {
            var command = connection.Command("SELECT position FROM checkpoints WHERE subscription = $s");
            command.Parameters.AddWithValue("$s", subscription);
            return command.ExecuteScalar() is long position ? position : 0;
        }, cancellationToken);

    public Task CommitDecisionAsync(SubscriptionDecision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        CoordinationValidation.Validate(decision);
        var now = decision.Now.UtcTicks;
        return writer.Enqueue(s => s.Coordination.CheckFence(decision.Fence), s =>
        {
            foreach (var message in decision.Outbox)
            {
                s.Coordination.InsertOutbox(decision.Subscription, message, now);
            }

            s.Coordination.SaveCheckpoint(decision.Subscription, decision.Checkpoint, decision.Fence.Epoch, now);
            return true;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<OutboxEntry>> GetDueOutboxAsync(string subscription, DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default) =>
        ReadOutboxAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE subscription = $s AND status = 0 AND next_attempt_at <= $x ORDER BY next_attempt_at, id LIMIT $max",
            subscription, now.UtcTicks, maxCount, cancellationToken);

    public Task<DateTimeOffset?> GetNextOutboxDueAsync(string subscription, CancellationToken cancellationToken = default) =>
        readers.ReadAsync(connection =>
        {
            var command = connection.Command("SELECT MIN(next_attempt_at) FROM outbox WHERE subscription = $s AND status = 0");
            command.Parameters.AddWithValue("$s", subscription);
            return CoordinationRows.Time(command.ExecuteScalar());
        }, cancellationToken);

    public Task RecordOutboxOutcomeAsync(LeaseFence fence, OutboxOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fence);
        ArgumentNullException.ThrowIfNull(outcome);
        return writer.Enqueue(s => s.Coordination.CheckFence(fence), s =>
        {
            s.Coordination.RecordOutboxOutcome(outcome);
            return true;
        }, cancellationToken);
    }

    public Task<int> PruneOutboxAsync(LeaseFence fence, string subscription, DateTimeOffset completedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fence);
        ArgumentException.ThrowIfNullOrEmpty(subscription);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return writer.Enqueue(s => s.Coordination.CheckFence(fence), s => s.Coordination.PruneOutbox(subscription, completedBefore.UtcTicks, maxCount), cancellationToken);
    }

    public Task<bool> ReplayOutboxAsync(string subscription, long id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subscription);
        return writer.Enqueue(_ => { }, s => s.Coordination.ReplayOutbox(subscription, id, now.UtcTicks), cancellationToken);
    }

    public Task<IReadOnlyList<OutboxEntry>> ListOutboxAsync(string subscription, long afterId, int maxCount, CancellationToken cancellationToken = default) =>
        ReadOutboxAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE subscription = $s AND id > $x ORDER BY id LIMIT $max",
            subscription, afterId, maxCount, cancellationToken);

    public Task<IReadOnlyList<DurableTimer>> GetDueTimersAsync(DateTimeOffset upTo, int maxCount, CancellationToken cancellationToken = default) =>
        readers.ReadAsync(connection =>
        {
            var command = connection.Command($"SELECT {TimerColumns} FROM timers WHERE due_at <= $x ORDER BY due_at LIMIT $max");
            command.Parameters.AddWithValue("$x", upTo.UtcTicks);
            command.Parameters.AddWithValue("$max", (long)maxCount);
            return ReadTimers(command);
        }, cancellationToken);

    public Task<DateTimeOffset?> GetNextTimerDueAsync(CancellationToken cancellationToken = default) =>
        readers.ReadAsync(connection =>
            CoordinationRows.Time(connection.Command("SELECT MIN(due_at) FROM timers").ExecuteScalar()),
            cancellationToken);

    public Task<IReadOnlyList<DurableTimer>> GetTimersOfStreamAsync(string tenant, string streamId, CancellationToken cancellationToken = default) =>
        readers.ReadAsync(connection =>
        {
            var command = connection.Command($"SELECT {TimerColumns} FROM timers WHERE tenant = $t AND stream_id = $s ORDER BY due_at, name");
            command.Parameters.AddWithValue("$t", tenant);
            command.Parameters.AddWithValue("$s", streamId);
            return ReadTimers(command);
        }, cancellationToken);

    private Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(string sql, string subscription, long bound, int maxCount, CancellationToken cancellationToken) =>
        readers.ReadAsync(connection =>
        {
            var command = connection.Command(sql);
            command.Parameters.AddWithValue("$s", subscription);
            command.Parameters.AddWithValue("$x", bound);
            command.Parameters.AddWithValue("$max", (long)maxCount);
            using var reader = command.ExecuteReader();
            return CoordinationRows.ReadOutboxAsync(reader, (r, i) => new Guid((byte[])r.GetValue(i), bigEndian: true), CancellationToken.None).GetAwaiter().GetResult();
        }, cancellationToken);

    private static IReadOnlyList<DurableTimer> ReadTimers(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return CoordinationRows.ReadTimersAsync(reader, CancellationToken.None).GetAwaiter().GetResult();
    }
}
