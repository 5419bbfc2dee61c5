using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Projection rows and checkpoints in the store's file. Writes go through the single writer, so a commit's fence and
/// checkpoint checks cannot race a takeover or a reset; reads use the read pool.
/// </summary>
internal sealed class SqliteProjectionStore(GroupCommitWriter writer, ReadConnectionPool readers) : IProjectionStore
{
    public Task<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default) =>
        readers.ReadAsync(connection =>
        {
            var command = connection.Command("SELECT position FROM projection_checkpoints WHERE projection = $p");
            command.Parameters.AddWithValue("$p", projection);
            return command.ExecuteScalar() is long position ? position : 0;
        }, cancellationToken);

    public Task<IReadOnlyList<ProjectionRow>> GetRowsAsync(string projection, IReadOnlyCollection<ProjectionKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0) return Task.FromResult<IReadOnlyList<ProjectionRow>>([]);
        return readers.ReadAsync<IReadOnlyList<ProjectionRow>>(connection =>
        {
            var command = connection.Command("SELECT tenant, key, data FROM projection_rows WHERE projection = $p AND tenant = $t AND key = $k");
            var t = command.Parameters.Add("$t", SqliteType.Text);
            var k = command.Parameters.Add("$k", SqliteType.Text);
            command.Parameters.AddWithValue("$p", projection);
            var rows = new List<ProjectionRow>(keys.Count);
            foreach (var key in keys.Distinct())
            {
                t.Value = key.Tenant;
                k.Value = key.Key;
                using var reader = command.ExecuteReader();
                if (reader.Read()) rows.Add(new ProjectionRow(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }

            return rows;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ProjectionRow>> ListRowsAsync(string projection, string tenant, string keyPrefix, string? afterKey, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return readers.ReadAsync<IReadOnlyList<ProjectionRow>>(connection =>
        {
            // Keys between the prefix and the prefix followed by the highest character: an index range, no LIKE.
            var command = connection.Command(
                "SELECT tenant, key, data FROM projection_rows WHERE projection = $p AND tenant = $t AND key >= $from AND key < $to AND key > $after ORDER BY key LIMIT $max");
            command.Parameters.AddWithValue("$p", projection);
            command.Parameters.AddWithValue("$t", tenant);
            command.Parameters.AddWithValue("$from", keyPrefix);
            command.Parameters.AddWithValue("$to", keyPrefix + '\uffff');
            command.Parameters.AddWithValue("$after", afterKey ?? "");
            command.Parameters.AddWithValue("$max", (long)maxCount);
            using var reader = command.ExecuteReader();
            var rows = new List<ProjectionRow>();
            while (reader.Read()) rows.Add(new ProjectionRow(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            return rows;
        }, cancellationToken);
    }

    public Task CommitAsync(ProjectionCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        return writer.Enqueue(
            s =>
            {
                s.Coordination.CheckFence(commit.Fence);
                s.Projections.CheckCheckpoint(commit.Projection, commit.ExpectedCheckpoint);
            },
            s =>
            {
                s.Projections.Commit(commit);
                return true;
            },
            cancellationToken);
    }

    public Task ResetAsync(string projection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(projection);
        return writer.Enqueue(_ => { }, s =>
        {
            s.Projections.Reset(projection);
            return true;
        }, cancellationToken);
    }
}
