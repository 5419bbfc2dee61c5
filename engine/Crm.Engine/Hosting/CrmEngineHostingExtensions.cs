using System.Net;
using System.Net.Sockets;
using Crm.Engine.Client;
using Crm.Engine.Plugins;
using Crm.Engine.Rules;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Crm.Engine.Hosting;

/// <summary>Registers Crm.Engine in a host: on an application builder (own silo) or on an existing Orleans silo.</summary>
public static class CrmEngineHostingExtensions
{
    /// <summary>
    /// Adds the engine with its own Orleans silo, single-node on localhost unless <see cref="CrmEngineOptions.UseClustering"/>
    /// says otherwise, and registers <see cref="ICrmClient"/>.
    /// Example: <c>builder.AddCrmEngine(o => o.UseSqlite("data/crm.db"));</c>
    /// </summary>
    public static IHostApplicationBuilder AddCrmEngine(this IHostApplicationBuilder builder, Action<CrmEngineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var probe = new CrmEngineOptions();
        configure(probe);
        // The silo watchdog reports a spurious multi-minute stall at start-up on some hosts; real stalls are still errors.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        // Orleans' placement logs every placement attempt at Information through Polly.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            if (probe.Clustering is { } clustering) clustering(silo);
            else silo.UseLocalhostClustering(probe.SiloPort ?? FreeTcpPort(), probe.GatewayPort ?? 0, serviceId: "crm", clusterId: "crm-local");
            silo.AddCrmEngine(configure);
        });
        return builder;
    }

    /// <summary>Adds the engine's grains and services to an Orleans silo the application already configures.</summary>
    public static ISiloBuilder AddCrmEngine(this ISiloBuilder silo, Action<CrmEngineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new CrmEngineOptions();
        configure(options);
        if (options.StoreFactory is null)
        {
            throw new InvalidOperationException("Crm.Engine needs an event store: call o.UseSqlite(\"data/crm.db\") (package Crm.Engine.Storage.Sqlite) or o.UsePostgreSql(connectionString) (package Crm.Engine.Storage.PostgreSql) in AddCrmEngine.");
        }

        RecordIdsGuard(options.DefaultTenant);
        options.Coordination.Validate();
        options.Rules.Validate();
        options.Messaging.Validate();
        options.Plugins.Validate();
        options.Segments.Validate();
        var services = silo.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EventStoreLifetime>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<EventStoreLifetime>());
        services.AddSingleton<IEventStore>(sp => new NonOwningEventStore(sp.GetRequiredService<EventStoreLifetime>()));
        // The followers of the log (subscriptions, projections, the cluster's tail) share one window of it.
        services.AddSingleton(sp => new RecentLog(sp.GetRequiredService<IEventStore>()));
        services.AddSingleton<Coordination.CoordinationRuntime>();
        services.AddSingleton<Coordination.ILogConsumer>(sp => new Activity.LastActivityRollup(sp.GetRequiredService<ICrmClient>()));
        services.AddSingleton<Coordination.ILogConsumer>(sp => new Grains.MergeCompletion(sp.GetRequiredService<ICrmClient>()));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Coordination.CoordinationRuntime>());
        services.AddSingleton<TenantSettingsProvider>();
        services.AddSingleton<Projections.ILogProjection, Reports.ReportFactsProjection>();
        services.AddCrmRulesRuntime(options.Rules);
        services.AddSingleton(options.Messaging);
        services.AddSingleton<Messaging.MessageThrottle>();
        services.AddSingleton<Messaging.UnsubscribeLinks>();
        services.AddSingleton<Coordination.ILogConsumer, Messaging.MessageDispatcher>();
        services.AddSingleton(options.Segments);
        services.AddSingleton<Segments.SegmentCatalog>();
        services.AddSingleton<Segments.SegmentEvaluator>();
        services.AddSingleton<Coordination.ILogConsumer, Segments.SegmentMembership>();
        services.AddSingleton<Coordination.ILogConsumer, Segments.CampaignRunner>();
        services.AddCrmPlugins(options.Plugins, silo.Configuration);
        services.AddSingleton<Access.AccessDirectory>();
        if (options.StoreIsShared)
        {
            services.AddSingleton(sp => ActivatorUtilities.CreateInstance<Cluster.SharedLogFollower>(sp, (IEventStore)sp.GetRequiredService<RecentLog>()));
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Cluster.SharedLogFollower>());
        }

        services.AddSingleton<Access.TenantProvisioning>();
        services.AddSingleton<ICrmClient>(sp => new CrmClient(sp.GetRequiredService<IGrainFactory>(), options.DefaultTenant, options.DefaultActor));
        services.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(10));
        return silo;
    }

    private static void RecordIdsGuard(string tenant)
    {
        if (!Domain.RecordIds.IsValidTenant(tenant))
        {
            throw new InvalidOperationException($"Crm:DefaultTenant '{tenant}' is not a valid tenant id (lower-case letters, digits, '-', '_').");
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
