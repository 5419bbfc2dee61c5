using Crm.Engine.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Crm.Engine.Hosting;

/// <summary>
/// Owns the event store: opens it when the silo starts (so a locked data directory fails start-up with a clear error)
/// and closes it after the grains have been deactivated.
/// </summary>
internal sealed class EventStoreLifetime(IServiceProvider services, CrmEngineOptions options, ILogger<EventStoreLifetime> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable, IDisposable
{
    private readonly Lazy<IEventStore> _store = new(() => options.StoreFactory!(services), LazyThreadSafetyMode.ExecutionAndPublication);
    private int _disposed;

    public IEventStore Store => _store.Value;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(EventStoreLifetime), ServiceLifecycleStage.RuntimeStorageServices,
            _ =>
            {
                var store = Store;
                GC.KeepAlive(store);
                logger.LogInformation("Crm.Engine event store opened");
                return Task.CompletedTask;
            },
            async _ => await DisposeAsync());

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1 || !_store.IsValueCreated) return;
        await _store.Value.DisposeAsync();
        logger.LogInformation("Crm.Engine event store closed");
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
