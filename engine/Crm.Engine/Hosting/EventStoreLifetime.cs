using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Crm.Engine.Hosting;

/// <summary>
/// Owns the event store: opens it when the silo starts (so a locked data directory or an unreachable database fails
/// start-up with a clear error) and closes it after the grains have been deactivated.
/// </summary>
internal sealed partial class EventStoreLifetime(IServiceProvider services, CrmEngineOptions options, ILogger<EventStoreLifetime> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable, IDisposable
{
    private IEventStore? _store;
    private int _disposed;

    /// <summary>The open store; only after the silo reached <see cref="ServiceLifecycleStage.RuntimeStorageServices"/>.</summary>
    public IEventStore Store => _store ?? throw new InvalidOperationException("The Crm.Engine event store is not open: the silo has not started yet, or it failed to start.");

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(EventStoreLifetime), ServiceLifecycleStage.RuntimeStorageServices, OpenAsync, async _ => await DisposeAsync());

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            _store = await options.StoreFactory!(services, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmException ex)
        {
            // Already says what to do (e.g. the data directory is locked by another process).
            LogOpenFailed(logger, ex);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogOpenFailed(logger, ex);
            throw new EventStoreUnavailableException($"Crm.Engine could not open its event store: {ex.Message}", ex);
        }

        LogOpened(logger);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1 || _store is not { } store) return;
        await store.DisposeAsync().ConfigureAwait(false);
        LogClosed(logger);
    }

    // A host disposed synchronously still closes the store.
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    [LoggerMessage(Level = LogLevel.Information, Message = "Crm.Engine event store opened")]
    private static partial void LogOpened(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Crm.Engine event store closed")]
    private static partial void LogClosed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Crm.Engine could not open its event store; the silo does not start")]
    private static partial void LogOpenFailed(ILogger logger, Exception exception);
}
