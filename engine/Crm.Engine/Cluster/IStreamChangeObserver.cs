namespace Crm.Engine.Cluster;

/// <summary>
/// Told of every event committed to a store shared by several nodes, by any node (this one too), within a poll
/// interval of its commit. Hosts implement it for caches of their own (e.g. who is active) and register it as a
/// singleton; the engine's own settings and access caches are refreshed the same way.
/// </summary>
public interface IStreamChangeObserver
{
    /// <summary>A stream of <paramref name="tenant"/> reached <paramref name="version"/>. Must be quick and must not throw.</summary>
    void OnStreamChanged(string tenant, string streamId, long version);
}
