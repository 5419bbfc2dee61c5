using Crm.Engine.Hosting;
using Crm.Engine.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Crm.Engine.Coordination;

/// <summary>
/// Starts this node's share of the once-per-cluster services when the silo is up — the timer scheduler and one
/// subscription per registered <see cref="ILogConsumer"/> and one follower per projection, each under its own lease — and stops them, handing the
/// leases over, before the silo shuts down.
/// </summary>
internal sealed class CoordinationRuntime : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly IServiceProvider _services;
    private readonly CrmEngineOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<LeasedWork> _work = [];
    private Task _running = Task.CompletedTask;

    public CoordinationRuntime(IServiceProvider services, CrmEngineOptions options, ILoggerFactory loggers)
    {
        _services = services;
        _options = options;
        _loggers = loggers;
        Owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>This node's identity in lease rows: machine, process and a per-start nonce.</summary>
    public string Owner { get; }

    /// <summary>The timer scheduler of this node (it fires timers only while holding the lease).</summary>
    public TimerScheduler Timers { get; private set; } = null!;

    /// <summary>The leases this node holds now.</summary>
    public IReadOnlyList<LeaseFence> HeldLeases => _work.Select(w => w.Held).OfType<LeaseFence>().ToArray();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(CoordinationRuntime), ServiceLifecycleStage.Active, _ => StartAsync(), _ => StopAsync());

    private Task StartAsync()
    {
        var options = _options.Coordination;
        var time = options.TimeProvider ?? _services.GetRequiredService<TimeProvider>();
        // Subscriptions and projections read the log through the node's shared window of it.
        IEventStore store = _services.GetRequiredService<RecentLog>();
        Timers = new TimerScheduler(_services.GetRequiredService<IGrainFactory>(), store.Coordination, time, options, _loggers.CreateLogger<TimerScheduler>());
        var leaseLogger = _loggers.CreateLogger<LeasedWork>();
        _work.Add(new LeasedWork(TimerScheduler.LeaseName, Owner, Timers.RunAsync, store.Coordination, time, options, leaseLogger));

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var consumer in _services.GetServices<ILogConsumer>())
        {
            if (!names.Add(consumer.Name))
            {
                throw new InvalidOperationException($"Two log consumers are named '{consumer.Name}'; a subscription name must be unique.");
            }

            var subscription = new LogSubscription(consumer, store, time, options, _loggers.CreateLogger<LogSubscription>());
            _work.Add(new LeasedWork(subscription.LeaseName, Owner, subscription.RunAsync, store.Coordination, time, options, leaseLogger));
        }

        foreach (var projection in _services.GetServices<Projections.ILogProjection>())
        {
            if (!names.Add("projection/" + projection.Name))
            {
                throw new InvalidOperationException($"Two projections are named '{projection.Name}'; a projection name must be unique.");
            }

            var follower = new Projections.ProjectionFollower(projection, store, time, options, _loggers.CreateLogger<Projections.ProjectionFollower>());
            _work.Add(new LeasedWork(follower.LeaseName, Owner, follower.RunAsync, store.Coordination, time, options, leaseLogger));
        }

        _running = Task.WhenAll(_work.Select(w => Task.Run(() => w.RunAsync(_stopping.Token))));
        return Task.CompletedTask;
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
