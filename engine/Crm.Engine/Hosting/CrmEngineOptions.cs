using Crm.Engine.Storage;

namespace Crm.Engine.Hosting;

/// <summary>How the engine is set up: its event store, default tenant and actor, and (for a self-hosted silo) its ports.</summary>
public sealed class CrmEngineOptions
{
    /// <summary>The tenant the registered <see cref="ICrmClient"/> works in.</summary>
    public string DefaultTenant { get; set; } = "default";

    /// <summary>Who writes through the registered <see cref="ICrmClient"/> unless a write says otherwise.</summary>
    public Actor DefaultActor { get; set; } = Actor.System;

    /// <summary>Silo-to-silo port when the engine hosts its own silo; a free port when null.</summary>
    public int? SiloPort { get; set; }

    /// <summary>Gateway port for Orleans clients when the engine hosts its own silo; none when null.</summary>
    public int? GatewayPort { get; set; }

    /// <summary>Leases, retries and polling of the once-per-cluster services (log subscriptions, outbox, timers).</summary>
    public Coordination.CoordinationOptions Coordination { get; } = new();

    /// <summary>Cascade depth, failure tolerance, JavaScript limits and rule folders of the rules layer.</summary>
    public Rules.RuleOptions Rules { get; } = new();

    /// <summary>Pace of outbound messages and their unsubscribe links.</summary>
    public Messaging.MessagingOptions Messaging { get; } = new();

    /// <summary>The plugin folder, whether plugins load, and the circuit breakers of their connectors.</summary>
    public Plugins.PluginOptions Plugins { get; } = new();

    /// <summary>How segment membership is kept current (<c>Crm:Segments</c>).</summary>
    public Segments.SegmentOptions Segments { get; } = new();

    internal Func<IServiceProvider, CancellationToken, Task<IEventStore>>? StoreFactory { get; private set; }

    /// <summary>True when other processes append to the same store, so each node follows the log to keep its caches current.</summary>
    internal bool StoreIsShared { get; private set; }

    internal Action<ISiloBuilder>? Clustering { get; private set; }

    /// <summary>Uses the given event store (storage packages call this from <c>UseSqlite</c>).</summary>
    public CrmEngineOptions UseEventStore(Func<IServiceProvider, IEventStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return UseEventStore((services, _) => Task.FromResult(factory(services)), sharedByNodes: false);
    }

    /// <summary>
    /// Uses an event store opened asynchronously when the silo starts (storage packages call this from
    /// <c>UsePostgreSql</c>). <paramref name="sharedByNodes"/>: other processes append to the same store (a cluster);
    /// every node then follows the log and refreshes its settings and access caches when another node changes them.
    /// </summary>
    public CrmEngineOptions UseEventStore(Func<IServiceProvider, CancellationToken, Task<IEventStore>> open, bool sharedByNodes)
    {
        ArgumentNullException.ThrowIfNull(open);
        StoreFactory = open;
        StoreIsShared = sharedByNodes;
        return this;
    }

    /// <summary>
    /// Replaces the single-node localhost clustering of a self-hosted silo: <paramref name="configure"/> sets the
    /// silo's clustering, endpoints and providers (a host's cluster mode calls this). Ignored when the engine is added
    /// to a silo the application configures itself.
    /// </summary>
    public CrmEngineOptions UseClustering(Action<ISiloBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Clustering = configure;
        return this;
    }
}
