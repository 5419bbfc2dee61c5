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

    internal Func<IServiceProvider, IEventStore>? StoreFactory { get; private set; }

    /// <summary>Uses the given event store (storage packages call this from <c>UseSqlite</c>, <c>UsePostgreSql</c>).</summary>
    public CrmEngineOptions UseEventStore(Func<IServiceProvider, IEventStore> factory)
    {
        StoreFactory = factory;
        return this;
    }
}
