using System.Text.Json.Nodes;
using Crm.Engine.Storage;

namespace Crm.Engine.Projections;

/// <summary>
/// The rows a projection works on while it applies one run of events: the stored rows it asked for, and what it
/// changed, which becomes one <see cref="ProjectionCommit"/>.
/// </summary>
internal sealed class ProjectionRows
{
    private readonly Dictionary<ProjectionKey, JsonObject?> _rows = [];
    private readonly HashSet<ProjectionKey> _changed = [];

    public ProjectionRows(IEnumerable<ProjectionRow> loaded)
    {
        foreach (var row in loaded) _rows[row.Id] = JsonNode.Parse(row.DataJson) as JsonObject;
    }

    /// <summary>The row's data as it stands after the events applied so far, or null.</summary>
    public JsonObject? Get(ProjectionKey key) => _rows.GetValueOrDefault(key);

    /// <summary>Writes a row.</summary>
    public void Set(ProjectionKey key, JsonObject data)
    {
        _rows[key] = data;
        _changed.Add(key);
    }

    /// <summary>Drops a row.</summary>
    public void Remove(ProjectionKey key)
    {
        _rows[key] = null;
        _changed.Add(key);
    }

    /// <summary>The changes, in key order so that the same events always produce the same commit.</summary>
    public ProjectionCommit ToCommit(LeaseFence fence, string projection, long expectedCheckpoint, long checkpoint)
    {
        var upserts = new List<ProjectionRow>();
        var deletes = new List<ProjectionKey>();
        foreach (var key in _changed.OrderBy(k => k.Tenant, StringComparer.Ordinal).ThenBy(k => k.Key, StringComparer.Ordinal))
        {
            if (_rows[key] is { } data) upserts.Add(new ProjectionRow(key.Tenant, key.Key, data.ToJsonString()));
            else deletes.Add(key);
        }

        return new ProjectionCommit(fence, projection, expectedCheckpoint, checkpoint, upserts, deletes);
    }
}
