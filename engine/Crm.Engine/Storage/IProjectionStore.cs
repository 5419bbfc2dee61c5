namespace Crm.Engine.Storage;

/// <summary>
/// Rows of the projections that follow the log (reports, later segments) and how far each has followed it. A
/// projection's rows and its checkpoint are written in one transaction, so what it shows always matches one position
/// of the log; dropping both rebuilds it from zero.
/// </summary>
public interface IProjectionStore
{
    /// <summary>The position a projection has applied everything up to (0 when it never ran or was reset).</summary>
    Task<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default);

    /// <summary>The stored rows of a projection with these keys (missing keys are left out).</summary>
    Task<IReadOnlyList<ProjectionRow>> GetRowsAsync(string projection, IReadOnlyCollection<ProjectionKey> keys, CancellationToken cancellationToken = default);

    /// <summary>A tenant's rows of a projection whose key starts with <paramref name="keyPrefix"/>, after <paramref name="afterKey"/>, in key order.</summary>
    Task<IReadOnlyList<ProjectionRow>> ListRowsAsync(string projection, string tenant, string keyPrefix, string? afterKey, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the rows a projection produced from the events up to <see cref="ProjectionCommit.Checkpoint"/>, and that
    /// checkpoint, in one transaction — if the fence still holds and the stored checkpoint is still
    /// <see cref="ProjectionCommit.ExpectedCheckpoint"/>.
    /// </summary>
    /// <exception cref="LeaseLostException">The lease moved on; nothing was written.</exception>
    /// <exception cref="ProjectionCheckpointMovedException">The checkpoint moved (the projection was reset); nothing was written.</exception>
    Task CommitAsync(ProjectionCommit commit, CancellationToken cancellationToken = default);

    /// <summary>Drops every row of a projection and sets its checkpoint to 0, in one transaction, so it is built again from zero.</summary>
    Task ResetAsync(string projection, CancellationToken cancellationToken = default);
}

/// <summary>The identity of a projection row: tenant and key.</summary>
public sealed record ProjectionKey(string Tenant, string Key);

/// <summary>A projection row: its tenant, key and data (a JSON document).</summary>
public sealed record ProjectionRow(string Tenant, string Key, string DataJson)
{
    /// <summary>The row's identity.</summary>
    public ProjectionKey Id => new(Tenant, Key);
}

/// <summary>What a projection produced from a run of events: rows to write, rows to drop, and the new checkpoint.</summary>
public sealed record ProjectionCommit(
    LeaseFence Fence,
    string Projection,
    long ExpectedCheckpoint,
    long Checkpoint,
    IReadOnlyList<ProjectionRow> Upserts,
    IReadOnlyList<ProjectionKey> Deletes);

/// <summary>A projection's checkpoint is not where its writer left it (it was reset); nothing was written.</summary>
[GenerateSerializer, Alias("crm.ProjectionCheckpointMovedException")]
public sealed class ProjectionCheckpointMovedException : CrmException
{
    public ProjectionCheckpointMovedException(string projection, long expected, long actual)
        : base("projection_checkpoint_moved", $"Projection '{projection}' is at position {actual}, not {expected}.")
    {
        Projection = projection;
        Expected = expected;
        Actual = actual;
    }

    [Id(0)] public string Projection { get; }
    [Id(1)] public long Expected { get; }
    [Id(2)] public long Actual { get; }
}
