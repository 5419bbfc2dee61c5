using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Engine.Plugins;

/// <summary>
/// What the exception boundaries around a plugin's connectors, rules and background work share: the catalog they
/// report to, the options, and one circuit per plugin connector channel (so every instance of a transient connector
/// sees the same circuit).
/// </summary>
internal sealed class PluginGuards(PluginCatalog catalog, PluginOptions options)
{
    private readonly ConcurrentDictionary<(string Plugin, string Channel), ConnectorCircuit> _circuits = new();

    private readonly ConcurrentDictionary<string, string> _ruleIds = new(StringComparer.Ordinal);

    public PluginCatalog Catalog => catalog;

    /// <summary>Claims a rule id for a plugin; false when another plugin's rule has it (two rules of one id would stop every compiled rule).</summary>
    public bool ClaimRuleId(string plugin, string id, out string owner)
    {
        owner = _ruleIds.GetOrAdd(id, plugin);
        return owner == plugin;
    }

    public ConnectorCircuit Circuit(IServiceProvider services, string plugin, string channel) =>
        _circuits.GetOrAdd((plugin, channel), key => new ConnectorCircuit(key.Plugin, key.Channel, options,
            options.TimeProvider ?? services.GetService<TimeProvider>() ?? TimeProvider.System, Logger(services)));

    public static ILogger Logger(IServiceProvider services) =>
        services.GetService<ILoggerFactory>()?.CreateLogger("Crm.Engine.Plugins") ?? NullLogger.Instance;

    /// <summary>Records a part of a plugin that could not be created, in the catalog and the log.</summary>
    public void Fault(IServiceProvider services, string plugin, string what, Exception ex)
    {
        var fault = $"{what} could not be created: {PluginFailures.Describe(ex)}";
        catalog.AddFault(plugin, fault);
        PluginLog.PartFailed(Logger(services), ex, plugin, fault);
    }
}
