using Crm.Engine.Coordination;
using Crm.Engine.Hosting;
using Crm.Engine.Messaging;
using Crm.Engine.Rules;
using Crm.Engine.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Crm.Engine.Plugins;

/// <summary>
/// When the silo is up: creates the plugins' connectors and rules (so the catalog lists them, and a part that cannot
/// be created is reported at start rather than at first use), logs one line per plugin, and runs every
/// <see cref="ICrmBackgroundWork"/> on one node of the cluster at a time, each under its own lease
/// (<c>plugin.&lt;plugin&gt;.&lt;work&gt;</c>), restarted with back-off when it throws. Stops them, handing the leases
/// over, before the silo shuts down.
/// </summary>
internal sealed class PluginRuntime(
    IServiceProvider services,
    PluginCatalog catalog,
    CrmEngineOptions options,
    CoordinationRuntime coordination,
    ILoggerFactory loggers) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<LeasedWork> _work = [];
    private readonly ILogger _logger = loggers.CreateLogger("Crm.Engine.Plugins");
    private Task _running = Task.CompletedTask;

    /// <summary>The leases of background work this node holds now.</summary>
    public IReadOnlyList<LeaseFence> HeldLeases => _work.Select(w => w.Held).OfType<LeaseFence>().ToArray();

    /// <summary>The lease names of the background work this node runs its share of.</summary>
    public IReadOnlyList<string> Leases => _work.Select(w => w.LeaseName).ToArray();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PluginRuntime), ServiceLifecycleStage.Active, _ => StartAsync(), _ => StopAsync());

    private Task StartAsync()
    {
        // Creating them fills the catalog; the plugins' own are guarded, the application's are its business.
        Inventory<IMessageConnector>();
        Inventory<ICrmRule>();
        var works = services.GetServices<ICrmBackgroundWork>()
            .Select(w => w as PluginBackgroundWork ?? new PluginBackgroundWork(services, null, null, () => w))
            .ToList();
        foreach (var plugin in catalog.Plugins)
        {
            if (plugin.State == PluginState.Loaded)
            {
                PluginLog.Loaded(_logger, plugin.Name, plugin.Version, plugin.Folder, string.Join(", ", plugin.Connectors), string.Join(", ", plugin.Rules),
                    string.Join(", ", plugin.BackgroundWork));
            }
            else
            {
                PluginLog.Failed(_logger, plugin.Name, plugin.Folder, plugin.Reason, plugin.Error);
            }
        }

        var coordinationOptions = options.Coordination;
        var time = coordinationOptions.TimeProvider ?? services.GetRequiredService<TimeProvider>();
        var store = services.GetRequiredService<IEventStore>().Coordination;
        var leaseLogger = loggers.CreateLogger<LeasedWork>();
        var leases = new HashSet<string>(StringComparer.Ordinal);
        foreach (var work in works.Where(w => w.IsAvailable))
        {
            if (!leases.Add(work.LeaseName))
            {
                PluginLog.WorkSkipped(_logger, work.LeaseName, "another background work has the same name");
                continue;
            }

            _work.Add(new LeasedWork(work.LeaseName, coordination.Owner, (_, ct) => work.RunAsync(ct), store, time, coordinationOptions, leaseLogger));
        }

        _running = Task.WhenAll(_work.Select(w => Task.Run(() => w.RunAsync(_stopping.Token))));
        return Task.CompletedTask;
    }

    private void Inventory<T>()
        where T : class
    {
        try
        {
            _ = services.GetServices<T>().ToList();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            PluginLog.InventoryFailed(_logger, ex, typeof(T).Name);
        }
    }

    private async Task StopAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
