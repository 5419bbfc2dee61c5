using Crm.Engine.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>Selects the PostgreSQL event store for the engine.</summary>
public static class PostgreSqlEngineOptionsExtensions
{
    /// <summary>
    /// Stores events and the read model in PostgreSQL, shared by every node of a cluster. The store is opened (and its
    /// schema created or upgraded) when the silo starts; an unreachable database fails start-up. Each node follows the
    /// log so that settings and key changes made through another node apply here too.
    /// Example: <c>o.UsePostgreSql("Host=db;Database=crm;Username=crm;Password=…")</c>.
    /// </summary>
    public static CrmEngineOptions UsePostgreSql(this CrmEngineOptions options, string connectionString, Action<PostgreSqlStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var storeOptions = new PostgreSqlStoreOptions { ConnectionString = connectionString };
        configure?.Invoke(storeOptions);
        storeOptions.Validate();
        return options.UseEventStore(
            async (services, cancellationToken) => await PostgreSqlEventStore.OpenAsync(
                storeOptions, services.GetService<ILoggerFactory>()?.CreateLogger<PostgreSqlEventStore>(), cancellationToken).ConfigureAwait(false),
            sharedByNodes: true);
    }
}
