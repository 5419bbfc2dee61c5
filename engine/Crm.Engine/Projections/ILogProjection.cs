using Crm.Engine.Storage;

namespace Crm.Engine.Projections;

/// <summary>
/// A projection that follows the whole log from its own checkpoint and keeps rows (tenant, key, JSON) in the store.
/// Applying must depend only on the events and the rows — never on the clock or on other state — so that following
/// the log again from zero gives the same rows.
/// </summary>
internal interface ILogProjection
{
    /// <summary>Unique name: the rows' projection column, the checkpoint's key and the lease <c>projection/{name}</c>.</summary>
    string Name { get; }

    /// <summary>Adds the keys of the rows <see cref="Apply"/> reads or writes for this event (they are loaded first, in one read).</summary>
    void CollectKeys(CrmEvent e, ISet<ProjectionKey> keys);

    /// <summary>Applies one event to the rows.</summary>
    void Apply(CrmEvent e, ProjectionRows rows);
}
