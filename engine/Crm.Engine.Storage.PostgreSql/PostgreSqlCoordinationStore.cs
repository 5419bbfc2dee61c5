using Npgsql;
using NpgsqlTypes;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Leases, checkpoints, outbox rows and timers in the shared database. A lease changes hands in one conditional
/// upsert, so two nodes racing for it cannot both win; a write under a fence first locks the lease row
/// (<c>FOR SHARE</c>) at that epoch, so a takeover waits for it to commit or the write sees the new epoch and is refused.
/// </summary>
internal sealed class PostgreSqlCoordinationStore(NpgsqlDataSource dataSource, string schema) : ICoordinationStore
{
    /// <summary>The tables, created by schema migration 2.</summary>
    public static string Migration => """
        CREATE TABLE {schema}.leases (
            name       text   PRIMARY KEY,
            owner      text   NOT NULL,
            epoch      bigint NOT NULL,
            expires_at bigint NOT NULL
        );

        CREATE TABLE {schema}.checkpoints (
            subscription text   PRIMARY KEY,
            position     bigint NOT NULL,
            epoch        bigint NOT NULL,
            updated_at   bigint NOT NULL
        );

        CREATE TABLE {schema}.outbox (
            id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subscription    text    NOT NULL,
            key             text    NOT NULL,
            kind            text    NOT NULL,
            tenant          text    NOT NULL,
            payload         text    NOT NULL,
            source_event    uuid,
            created_at      bigint  NOT NULL,
            status          integer NOT NULL,
            attempts        integer NOT NULL,
            next_attempt_at bigint  NOT NULL,
            last_error      text,
            completed_at    bigint,
            UNIQUE (subscription, key)
        );

        CREATE INDEX outbox_pending ON {schema}.outbox (subscription, next_attempt_at) WHERE status = 0;

        CREATE TABLE {schema}.effects (
            effect_key text   PRIMARY KEY,
            tenant     text   NOT NULL,
            stream_id  text   NOT NULL,
            position   bigint NOT NULL
        );

        CREATE TABLE {schema}.timers (
            tenant    text   NOT NULL,
            stream_id text   NOT NULL,
            name      text   NOT NULL,
            due_at    bigint NOT NULL,
            payload   text,
            PRIMARY KEY (tenant, stream_id, name)
        );

        CREATE INDEX timers_due ON {schema}.timers (due_at);
        """;

    private const string OutboxColumns = CoordinationRows.OutboxColumns;
    private const string TimerColumns = CoordinationRows.TimerColumns;

    public async Task<LeaseFence?> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var expiresAt = now + duration;
        await using var command = dataSource.CreateCommand(AcquireLeaseSql(schema));
        AddAcquireParameters(command.Parameters, name, owner, now, expiresAt);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long epoch
            ? new LeaseFence(name, owner, epoch, expiresAt)
            : null;
    }

    /// <summary>
    /// The statement that takes a lease nobody holds (or its holder let expire) with the next epoch, or renews it for
    /// its holder; returns the epoch, or no row while another owner holds it.
    /// </summary>
    internal static string AcquireLeaseSql(string schema) => $"""
        INSERT INTO {schema}.leases AS l (name, owner, epoch, expires_at) VALUES (@n, @o, 1, @x)
        ON CONFLICT (name) DO UPDATE SET
            owner = excluded.owner,
            epoch = CASE WHEN l.owner = excluded.owner AND l.expires_at > @now THEN l.epoch ELSE l.epoch + 1 END,
            expires_at = excluded.expires_at
        WHERE l.expires_at <= @now OR l.owner = excluded.owner
        RETURNING epoch
        """;

    /// <summary>Binds the parameters of <see cref="AcquireLeaseSql"/>.</summary>
    internal static void AddAcquireParameters(NpgsqlParameterCollection parameters, string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        parameters.AddWithValue("n", name);
        parameters.AddWithValue("o", owner);
        parameters.AddWithValue("x", expiresAt.UtcTicks);
        parameters.AddWithValue("now", now.UtcTicks);
    }

    public async Task<bool> RenewLeaseAsync(LeaseFence fence, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default) =>
        await SetExpiryAsync(fence, (now + duration).UtcTicks, cancellationToken).ConfigureAwait(false);

    public Task ReleaseLeaseAsync(LeaseFence fence, CancellationToken cancellationToken = default) => SetExpiryAsync(fence, 0, cancellationToken);

    private async Task<bool> SetExpiryAsync(LeaseFence fence, long expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fence);
        await using var command = dataSource.CreateCommand($"UPDATE {schema}.leases SET expires_at = @x WHERE name = @n AND owner = @o AND epoch = @e");
        command.Parameters.AddWithValue("x", expiresAt);
        AddFence(command, fence);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<long> GetCheckpointAsync(string subscription, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT position FROM {schema}.checkpoints WHERE subscription = @s");
        command.Parameters.AddWithValue("s", subscription);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long position ? position : 0;
    }

    public async Task CommitDecisionAsync(SubscriptionDecision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        CoordinationValidation.Validate(decision);
        var now = decision.Now.UtcTicks;
        await InFenceAsync(decision.Fence, batch =>
        {
            foreach (var message in decision.Outbox)
            {
                var insert = new NpgsqlBatchCommand($"""
                    INSERT INTO {schema}.outbox (subscription, key, kind, tenant, payload, source_event, created_at, status, attempts, next_attempt_at)
                    VALUES (@s, @k, @kind, @t, @payload, @source, @at, 0, 0, @next)
                    ON CONFLICT (subscription, key) DO NOTHING
                    """);
                insert.Parameters.AddWithValue("s", decision.Subscription);
                insert.Parameters.AddWithValue("k", message.Key);
                insert.Parameters.AddWithValue("kind", message.Kind);
                insert.Parameters.AddWithValue("t", message.Tenant);
                insert.Parameters.AddWithValue("payload", message.PayloadJson);
                insert.Parameters.Add(new NpgsqlParameter("source", NpgsqlDbType.Uuid) { Value = message.SourceEventId is { } id ? id : DBNull.Value });
                insert.Parameters.AddWithValue("at", now);
                insert.Parameters.AddWithValue("next", message.NotBefore?.UtcTicks ?? now);
                batch.BatchCommands.Add(insert);
            }

            var checkpoint = new NpgsqlBatchCommand($"""
                INSERT INTO {schema}.checkpoints AS c (subscription, position, epoch, updated_at) VALUES (@s, @p, @e, @at)
                ON CONFLICT (subscription) DO UPDATE SET position = GREATEST(c.position, excluded.position), epoch = excluded.epoch, updated_at = excluded.updated_at
                """);
            checkpoint.Parameters.AddWithValue("s", decision.Subscription);
            checkpoint.Parameters.AddWithValue("p", decision.Checkpoint);
            checkpoint.Parameters.AddWithValue("e", decision.Fence.Epoch);
            checkpoint.Parameters.AddWithValue("at", now);
            batch.BatchCommands.Add(checkpoint);
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<OutboxEntry>> GetDueOutboxAsync(string subscription, DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default) =>
        ReadOutboxAsync(
            $"SELECT {OutboxColumns} FROM {schema}.outbox WHERE subscription = @s AND status = 0 AND next_attempt_at <= @x ORDER BY next_attempt_at, id LIMIT @max",
            subscription, now.UtcTicks, maxCount, cancellationToken);

    public async Task<DateTimeOffset?> GetNextOutboxDueAsync(string subscription, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT MIN(next_attempt_at) FROM {schema}.outbox WHERE subscription = @s AND status = 0");
        command.Parameters.AddWithValue("s", subscription);
        return CoordinationRows.Time(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    public Task RecordOutboxOutcomeAsync(LeaseFence fence, OutboxOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return InFenceAsync(fence, batch =>
        {
            var update = new NpgsqlBatchCommand($"""
                UPDATE {schema}.outbox SET status = @status, attempts = attempts + 1, next_attempt_at = @next, last_error = @error, completed_at = @done
                WHERE id = @id AND status = 0
                """);
            update.Parameters.AddWithValue("id", outcome.Id);
            update.Parameters.AddWithValue("status", (int)outcome.Status);
            update.Parameters.AddWithValue("next", (outcome.RetryAt ?? outcome.Now).UtcTicks);
            update.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)outcome.Error ?? DBNull.Value });
            update.Parameters.Add(new NpgsqlParameter("done", NpgsqlDbType.Bigint) { Value = outcome.Status == OutboxStatus.Pending ? DBNull.Value : outcome.Now.UtcTicks });
            batch.BatchCommands.Add(update);
        }, cancellationToken);
    }

    public Task<int> PruneOutboxAsync(LeaseFence fence, string subscription, DateTimeOffset completedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subscription);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return InFenceAsync(fence, batch =>
        {
            var prune = new NpgsqlBatchCommand($"""
                DELETE FROM {schema}.outbox WHERE id IN (
                    SELECT id FROM {schema}.outbox WHERE subscription = @s AND status = 1 AND completed_at < @x ORDER BY id LIMIT @max)
                """);
            prune.Parameters.AddWithValue("s", subscription);
            prune.Parameters.AddWithValue("x", completedBefore.UtcTicks);
            prune.Parameters.AddWithValue("max", (long)maxCount);
            batch.BatchCommands.Add(prune);
        }, cancellationToken);
    }

    public async Task<bool> ReplayOutboxAsync(string subscription, long id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subscription);
        await using var command = dataSource.CreateCommand(
            $"UPDATE {schema}.outbox SET status = 0, attempts = 0, next_attempt_at = @next, completed_at = NULL WHERE id = @id AND subscription = @s AND status = 2");
        command.Parameters.AddWithValue("s", subscription);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("next", now.UtcTicks);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public Task<IReadOnlyList<OutboxEntry>> ListOutboxAsync(string subscription, long afterId, int maxCount, CancellationToken cancellationToken = default) =>
        ReadOutboxAsync(
            $"SELECT {OutboxColumns} FROM {schema}.outbox WHERE subscription = @s AND id > @x ORDER BY id LIMIT @max",
            subscription, afterId, maxCount, cancellationToken);

    public async Task<IReadOnlyList<DurableTimer>> GetDueTimersAsync(DateTimeOffset upTo, int maxCount, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {TimerColumns} FROM {schema}.timers WHERE due_at <= @x ORDER BY due_at LIMIT @max");
        command.Parameters.AddWithValue("x", upTo.UtcTicks);
        command.Parameters.AddWithValue("max", (long)maxCount);
        return await ReadTimersAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<DateTimeOffset?> GetNextTimerDueAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT MIN(due_at) FROM {schema}.timers");
        return CoordinationRows.Time(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task<IReadOnlyList<DurableTimer>> GetTimersOfStreamAsync(string tenant, string streamId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {TimerColumns} FROM {schema}.timers WHERE tenant = @t AND stream_id = @s ORDER BY due_at, name");
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("s", streamId);
        return await ReadTimersAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The statement that locks the lease row at the fence's epoch; no row means the lease moved on.</summary>
    public static string FenceCheckSql(string schema) =>
        $"SELECT 1 FROM {schema}.leases WHERE name = @fence_name AND owner = @fence_owner AND epoch = @fence_epoch FOR SHARE";

    /// <summary>Binds a fence to the parameters of <see cref="FenceCheckSql"/>.</summary>
    public static void AddFenceParameters(NpgsqlParameterCollection parameters, LeaseFence fence)
    {
        parameters.AddWithValue("fence_name", fence.Name);
        parameters.AddWithValue("fence_owner", fence.Owner);
        parameters.AddWithValue("fence_epoch", fence.Epoch);
    }

    /// <summary>Runs the writes <paramref name="fill"/> adds in one transaction, after checking the fence inside it.</summary>
    private async Task<int> InFenceAsync(LeaseFence fence, Action<NpgsqlBatch> fill, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fence);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var check = new NpgsqlCommand(FenceCheckSql(schema), connection, transaction))
        {
            AddFenceParameters(check.Parameters, fence);
            if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                throw new LeaseLostException(fence.Name, fence.Epoch);
            }
        }

        int affected;
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            fill(batch);
            affected = await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return affected;
    }

    private async Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(string sql, string subscription, long bound, int maxCount, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("s", subscription);
        command.Parameters.AddWithValue("x", bound);
        command.Parameters.AddWithValue("max", (long)maxCount);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await CoordinationRows.ReadOutboxAsync(reader, (r, i) => r.GetGuid(i), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<DurableTimer>> ReadTimersAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await CoordinationRows.ReadTimersAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    private static void AddFence(NpgsqlCommand command, LeaseFence fence)
    {
        command.Parameters.AddWithValue("n", fence.Name);
        command.Parameters.AddWithValue("o", fence.Owner);
        command.Parameters.AddWithValue("e", fence.Epoch);
    }

}
