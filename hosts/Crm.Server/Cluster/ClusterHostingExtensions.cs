using Crm.Engine.Hosting;
using Crm.Engine.Storage.PostgreSql;
using Orleans.Configuration;

namespace Crm.Server.Cluster;

/// <summary>Wires cluster mode: the event store on PostgreSQL, Orleans membership and grain state in the same database.</summary>
internal static class ClusterHostingExtensions
{
    /// <summary>The Orleans grain storage for operational state that is not CRM data (job progress, throttles); also the default.</summary>
    public const string OperationalStorage = "operational";

    private const string Invariant = "Npgsql";

    /// <summary>
    /// Puts the engine on the shared PostgreSQL database of <paramref name="cluster"/> and makes its silo a member of
    /// the cluster. Store options (<c>Crm:Storage:PostgreSql:Schema</c>, <c>CommitPollInterval</c>) and Orleans
    /// membership options (<c>Crm:Cluster:Membership</c>) come from <paramref name="configuration"/>.
    /// </summary>
    public static CrmEngineOptions UseCrmCluster(this CrmEngineOptions options, CrmClusterOptions cluster, IConfiguration configuration)
    {
        options.UsePostgreSql(cluster.ConnectionString, store => configuration.GetSection(PostgreSqlStoreOptions.SectionName).Bind(store));
        return options.UseClustering(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ServiceId = cluster.ServiceId;
                o.ClusterId = cluster.ClusterId;
            });
            if (cluster.AdvertisedIP is { } ip) silo.ConfigureEndpoints(ip, cluster.SiloPort, cluster.GatewayPort, cluster.ListenOnAnyAddress);
            else silo.ConfigureEndpoints(cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: cluster.ListenOnAnyAddress);

            var orleansDatabase = cluster.OrleansConnectionString;
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = orleansDatabase;
            });
            silo.AddAdoNetGrainStorageAsDefault(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = orleansDatabase;
            });
            silo.AddAdoNetGrainStorage(OperationalStorage, o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = orleansDatabase;
            });
            silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection(CrmClusterOptions.SectionName + ":Membership"));
            silo.Services.AddSingleton(cluster);
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, OrleansSchemaInstaller>();
        });
    }
}
