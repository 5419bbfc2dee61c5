using Npgsql;
using NpgsqlTypes;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Projection rows and checkpoints in the shared database. A commit locks its lease row at the fence's epoch and its
/// checkpoint row, then writes rows and checkpoint in the same transaction; a reset takes the same checkpoint row
/// lock, so a commit and a reset never interleave.
/// </summary>
internal sealed class PostgreSqlProjectionStore(NpgsqlDataSource dataSource, string schema) : IProjectionStore
{
    /// <summary>The tables, created by schema migration 3.</summary>
    public static string Migration => """
        CREATE TABLE {schema}.projection_checkpoints (
            projection text   PRIMARY KEY,
            position   bigint NOT NULL
        );

        CREATE TABLE {schema}.projection_rows (
            projection text NOT NULL,
            tenant     text NOT NULL,
            key        text COLLATE "C" NOT NULL,
            data       text NOT NULL,
            PRIMARY KEY (projection, tenant, key)
        );
        """;

    public async Task<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT position FROM {schema}.projection_checkpoints WHERE projection = @p");
        command.Parameters.AddWithValue("p", projection);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long position ? position : 0;
    }

    public async Task<IReadOnlyList<ProjectionRow>> GetRowsAsync(string projection, IReadOnlyCollection<ProjectionKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0) return [];
        var distinct = keys.Distinct().ToArray();
        await using var command = dataSource.CreateCommand($"""
            SELECT r.tenant, r.key, r.data FROM {schema}.projection_rows r
            JOIN unnest(@t, @k) AS wanted(tenant, key) ON r.tenant = wanted.tenant AND r.key = wanted.key
            WHERE r.projection = @p
            """);
        command.Parameters.AddWithValue("p", projection);
        command.Parameters.Add(new NpgsqlParameter("t", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = distinct.Select(k => k.Tenant).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = distinct.Select(k => k.Key).ToArray() });
        return await ReadRowsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ProjectionRow>> ListRowsAsync(string projection, string tenant, string keyPrefix, string? afterKey, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        await using var command = dataSource.CreateCommand($"""
            SELECT tenant, key, data FROM {schema}.projection_rows
            WHERE projection = @p AND tenant = @t AND key >= @from AND key < @to AND key > @after
            ORDER BY key LIMIT @max
            """);
        command.Parameters.AddWithValue("p", projection);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("from", keyPrefix);
        command.Parameters.AddWithValue("to", keyPrefix + '\uffff');
        command.Parameters.AddWithValue("after", afterKey ?? "");
        command.Parameters.AddWithValue("max", (long)maxCount);
        return await ReadRowsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task CommitAsync(ProjectionCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var check = new NpgsqlCommand(PostgreSqlCoordinationStore.FenceCheckSql(schema), connection, transaction))
        {
            PostgreSqlCoordinationStore.AddFenceParameters(check.Parameters, commit.Fence);
            if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                throw new LeaseLostException(commit.Fence.Name, commit.Fence.Epoch);
            }
        }

        var actual = await LockCheckpointAsync(connection, transaction, commit.Projection, cancellationToken).ConfigureAwait(false);
        if (actual != commit.ExpectedCheckpoint)
        {
            throw new ProjectionCheckpointMovedException(commit.Projection, commit.ExpectedCheckpoint, actual);
        }

        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            if (commit.Upserts.Count > 0)
            {
                var upsert = new NpgsqlBatchCommand($"""
                    INSERT INTO {schema}.projection_rows (projection, tenant, key, data)
                    SELECT @p, t, k, d FROM unnest(@t, @k, @d) AS rows(t, k, d)
                    ON CONFLICT (projection, tenant, key) DO UPDATE SET data = excluded.data
                    """);
                upsert.Parameters.AddWithValue("p", commit.Projection);
                AddArray(upsert, "t", commit.Upserts.Select(r => r.Tenant));
                AddArray(upsert, "k", commit.Upserts.Select(r => r.Key));
                AddArray(upsert, "d", commit.Upserts.Select(r => r.DataJson));
                batch.BatchCommands.Add(upsert);
            }

            if (commit.Deletes.Count > 0)
            {
                var delete = new NpgsqlBatchCommand($"""
                    DELETE FROM {schema}.projection_rows r USING unnest(@t, @k) AS gone(t, k)
                    WHERE r.projection = @p AND r.tenant = gone.t AND r.key = gone.k
                    """);
                delete.Parameters.AddWithValue("p", commit.Projection);
                AddArray(delete, "t", commit.Deletes.Select(r => r.Tenant));
                AddArray(delete, "k", commit.Deletes.Select(r => r.Key));
                batch.BatchCommands.Add(delete);
            }

            var checkpoint = new NpgsqlBatchCommand($"""
                INSERT INTO {schema}.projection_checkpoints (projection, position) VALUES (@p, @x)
                ON CONFLICT (projection) DO UPDATE SET position = excluded.position
                """);
            checkpoint.Parameters.AddWithValue("p", commit.Projection);
            checkpoint.Parameters.AddWithValue("x", commit.Checkpoint);
            batch.BatchCommands.Add(checkpoint);
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task ResetAsync(string projection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(projection);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await LockCheckpointAsync(connection, transaction, projection, cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var delete = new NpgsqlBatchCommand($"DELETE FROM {schema}.projection_rows WHERE projection = @p");
            delete.Parameters.AddWithValue("p", projection);
            var zero = new NpgsqlBatchCommand($"UPDATE {schema}.projection_checkpoints SET position = 0 WHERE projection = @p");
            zero.Parameters.AddWithValue("p", projection);
            batch.BatchCommands.Add(delete);
            batch.BatchCommands.Add(zero);
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes sure the checkpoint row exists, locks it for the transaction and returns its position.</summary>
    private async Task<long> LockCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string projection, CancellationToken cancellationToken)
    {
        await using (var ensure = new NpgsqlCommand(
            $"INSERT INTO {schema}.projection_checkpoints (projection, position) VALUES (@p, 0) ON CONFLICT (projection) DO NOTHING", connection, transaction))
        {
            ensure.Parameters.AddWithValue("p", projection);
            await ensure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var select = new NpgsqlCommand(
            $"SELECT position FROM {schema}.projection_checkpoints WHERE projection = @p FOR UPDATE", connection, transaction);
        select.Parameters.AddWithValue("p", projection);
        return (long)(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static void AddArray(NpgsqlBatchCommand command, string name, IEnumerable<string> values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() });

    private static async Task<IReadOnlyList<ProjectionRow>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<ProjectionRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new ProjectionRow(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }
}
