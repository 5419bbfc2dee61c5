using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>The writer's statements for projection rows and checkpoints, prepared once on the writer's connection.</summary>
internal sealed class ProjectionStatements : PreparedStatementSet
{
    private readonly PreparedStatement _checkpoint;
    private readonly PreparedStatement _saveCheckpoint;
    private readonly PreparedStatement _upsert;
    private readonly PreparedStatement _delete;
    private readonly PreparedStatement _deleteAll;

    public ProjectionStatements(SqliteConnection connection)
        : base(connection)
    {
        _checkpoint = Prepare("SELECT position FROM projection_checkpoints WHERE projection = $p", "$p");
        _saveCheckpoint = Prepare(
            "INSERT INTO projection_checkpoints (projection, position) VALUES ($p, $x) ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
            "$p", "$x");
        _upsert = Prepare(
            "INSERT INTO projection_rows (projection, tenant, key, data) VALUES ($p, $t, $k, $d) ON CONFLICT (projection, tenant, key) DO UPDATE SET data = excluded.data",
            "$p", "$t", "$k", "$d");
        _delete = Prepare("DELETE FROM projection_rows WHERE projection = $p AND tenant = $t AND key = $k", "$p", "$t", "$k");
        _deleteAll = Prepare("DELETE FROM projection_rows WHERE projection = $p", "$p");
    }

    /// <summary>Refuses a commit made from another checkpoint than the stored one.</summary>
    public void CheckCheckpoint(string projection, long expected)
    {
        var actual = _checkpoint.Bind(0, projection).Scalar() as long? ?? 0;
        if (actual != expected) throw new ProjectionCheckpointMovedException(projection, expected, actual);
    }

    public void Commit(ProjectionCommit commit)
    {
        foreach (var row in commit.Upserts)
        {
            _upsert.Bind(0, commit.Projection).Bind(1, row.Tenant).Bind(2, row.Key).Bind(3, row.DataJson).Execute();
        }

        foreach (var key in commit.Deletes)
        {
            _delete.Bind(0, commit.Projection).Bind(1, key.Tenant).Bind(2, key.Key).Execute();
        }

        _saveCheckpoint.Bind(0, commit.Projection).Bind(1, commit.Checkpoint).Execute();
    }

    public void Reset(string projection)
    {
        _deleteAll.Bind(0, projection).Execute();
        _saveCheckpoint.Bind(0, projection).Bind(1, 0L).Execute();
    }
}
