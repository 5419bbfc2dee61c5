using System.Diagnostics;
using Crm.Engine.Access;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Crm.Engine.Cluster;

/// <summary>
/// Follows the tail of a store that other nodes append to, from the head at start-up, and tells this node's caches
/// (tenant settings, keys and tenants, and every <see cref="IStreamChangeObserver"/>) which streams moved. So a
/// custom field, a revoked key or a deactivated user changed through one node applies on all of them within a poll
/// interval. The log never skips a committed event, so neither does this.
/// </summary>
internal sealed partial class SharedLogFollower(
    IEventStore store,
    TenantSettingsProvider settings,
    AccessDirectory access,
    IEnumerable<IStreamChangeObserver> observers,
    ILogger<SharedLogFollower> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private const int PageSize = 1000;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    // At most ten rounds a second, however fast the cluster writes: under load a round reads many events at once
    // instead of two queries per append, and a change still reaches every node well within a second.
    private static readonly TimeSpan MinRoundInterval = TimeSpan.FromMilliseconds(100);
    private readonly IStreamChangeObserver[] _observers = [.. observers];
    private readonly CancellationTokenSource _stopping = new();
    private Task _following = Task.CompletedTask;

    /// <summary>The log position up to which every event has been dispatched.</summary>
    public long Position { get; private set; }

    public void Participate(ISiloLifecycle lifecycle) =>
        // After the store opened (RuntimeStorageServices) and before the silo takes requests.
        lifecycle.Subscribe(nameof(SharedLogFollower), ServiceLifecycleStage.RuntimeGrainServices, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        // Caches are empty now and load from the store on first use, so only what commits from here on matters.
        Position = await store.GetHeadPositionAsync(cancellationToken).ConfigureAwait(false);
        _following = Task.Run(() => FollowAsync(_stopping.Token), CancellationToken.None);
        LogFollowing(logger, Position);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _following.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task FollowAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var round = Stopwatch.StartNew();
            try
            {
                await store.WaitForCommitAsync(Position, stopping).ConfigureAwait(false);
                IReadOnlyList<CrmEvent> page;
                do
                {
                    page = await store.ReadAllAsync(Position, PageSize, stopping).ConfigureAwait(false);
                    foreach (var e in page)
                    {
                        Dispatch(e);
                        Position = e.Position;
                    }
                }
                while (page.Count == PageSize);

                if (round.Elapsed < MinRoundInterval)
                {
                    await Task.Delay(MinRoundInterval - round.Elapsed, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database is unreachable or the store is closing; the next round starts where this one stopped.
                LogFollowFailed(logger, Position, ex);
                await Task.Delay(RetryDelay, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void Dispatch(CrmEvent e)
    {
        if (e.Tenant == AccessState.SystemTenant && e.StreamId == AccessState.StreamId) access.Observe(e.Version);
        else if (e.StreamId == StreamIds.Settings) settings.Observe(e.Tenant, e.Version);

        foreach (var observer in _observers)
        {
            try
            {
                observer.OnStreamChanged(e.Tenant, e.StreamId, e.Version);
            }
            catch (Exception ex)
            {
                LogObserverFailed(logger, observer.GetType().Name, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following the shared event log from position {Position} to keep this node's caches current")]
    private static partial void LogFollowing(ILogger logger, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the shared event log after position {Position} failed; retrying")]
    private static partial void LogFollowFailed(ILogger logger, long position, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream change observer {Observer} failed")]
    private static partial void LogObserverFailed(ILogger logger, string observer, Exception exception);
}
