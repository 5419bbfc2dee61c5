using Crm.Engine.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>Selects the SQLite event store for the engine.</summary>
public static class SqliteEngineOptionsExtensions
{
    /// <summary>
    /// Stores events and the read model in one SQLite file at <paramref name="path"/> (its directory becomes the data
    /// directory, owned by this process through a lock file).
    /// </summary>
    public static CrmEngineOptions UseSqlite(this CrmEngineOptions options, string path, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var storeOptions = new SqliteStoreOptions { Path = path };
        configure?.Invoke(storeOptions);
        storeOptions.Validate();
        return options.UseEventStore(sp => SqliteEventStore.Open(storeOptions, sp.GetService<ILoggerFactory>()?.CreateLogger<SqliteEventStore>()));
    }
}
