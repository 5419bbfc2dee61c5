using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Coordination;

/// <summary>
/// Runs a piece of once-per-cluster work on whichever node holds its lease. Every node runs one of these per lease:
/// the holder runs the work and renews the lease; the others try to take it every <see cref="CoordinationOptions.AcquireInterval"/>.
/// The work gets a token that is cancelled when the lease is lost or the node stops, and every write it makes carries
/// the fence, so a holder that lost its lease without noticing cannot write.
/// </summary>
internal sealed partial class LeasedWork(
    string leaseName,
    string owner,
    Func<LeaseFence, CancellationToken, Task> work,
    ICoordinationStore store,
    TimeProvider time,
    CoordinationOptions options,
    ILogger logger)
{
    private LeaseFence? _held;

    public string LeaseName => leaseName;

    /// <summary>The fence while this node holds the lease.</summary>
    public LeaseFence? Held => Volatile.Read(ref _held);

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var fence = await TryAcquireAsync(stopping).ConfigureAwait(false);
            if (fence is null)
            {
                await DelayAsync(options.AcquireInterval, stopping).ConfigureAwait(false);
                continue;
            }

            LeaseTaken(logger, leaseName, fence.Epoch, owner);
            Volatile.Write(ref _held, fence);
            using var held = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var running = RunWhileHeldAsync(fence, held.Token);
            var lost = await KeepAsync(fence, running, stopping).ConfigureAwait(false);
            Volatile.Write(ref _held, null);
            await held.CancelAsync().ConfigureAwait(false);
            lost |= await running.ConfigureAwait(false);
            if (lost)
            {
                LeaseLost(logger, leaseName, fence.Epoch, owner);
            }
            else if (stopping.IsCancellationRequested)
            {
                await ReleaseAsync(fence).ConfigureAwait(false);
            }
        }
    }

    private async Task<LeaseFence?> TryAcquireAsync(CancellationToken stopping)
    {
        try
        {
            return await store.TryAcquireLeaseAsync(leaseName, owner, time.GetUtcNow(), options.LeaseDuration, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            LeaseStoreFailed(logger, ex, leaseName);
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Runs the work until it is cancelled, restarting it after a failure; true when it found the lease lost.</summary>
    private async Task<bool> RunWhileHeldAsync(LeaseFence fence, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await work(fence, cancellationToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (LeaseLostException)
            {
                return true;
            }
            catch (Exception ex)
            {
                WorkFailed(logger, ex, leaseName);
                var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, 500 * Math.Pow(2, Math.Min(failures++, 6))));
                try
                {
                    await DelayAsync(backoff, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }

        return false;
    }

    /// <summary>Renews the lease until the work ends or the node stops; true when the lease was lost.</summary>
    private async Task<bool> KeepAsync(LeaseFence fence, Task<bool> running, CancellationToken stopping)
    {
        var expiresAt = fence.ExpiresAt;
        while (true)
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                await Task.WhenAny(running, Task.Delay(options.RenewInterval, time, wait.Token)).ConfigureAwait(false);
                await wait.CancelAsync().ConfigureAwait(false);
            }

            if (running.IsCompleted || stopping.IsCancellationRequested)
            {
                return false;
            }

            var now = time.GetUtcNow();
            try
            {
                if (!await store.RenewLeaseAsync(fence, now, options.LeaseDuration, stopping).ConfigureAwait(false))
                {
                    return true;
                }

                expiresAt = now + options.LeaseDuration;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                LeaseStoreFailed(logger, ex, leaseName);
                if (time.GetUtcNow() >= expiresAt)
                {
                    // Another node may hold it by now; the fence keeps this one's writes out either way.
                    return true;
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private async Task ReleaseAsync(LeaseFence fence)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await store.ReleaseLeaseAsync(fence, timeout.Token).ConfigureAwait(false);
            LeaseReleased(logger, leaseName, fence.Epoch, owner);
        }
        catch (Exception ex)
        {
            // It expires on its own; the next holder just waits longer.
            LeaseStoreFailed(logger, ex, leaseName);
        }
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        Task.Delay(delay, time, cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {Lease} taken at epoch {Epoch} by {Owner}")]
    private static partial void LeaseTaken(ILogger logger, string lease, long epoch, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} at epoch {Epoch} was lost by {Owner}")]
    private static partial void LeaseLost(ILogger logger, string lease, long epoch, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {Lease} at epoch {Epoch} released by {Owner}")]
    private static partial void LeaseReleased(ILogger logger, string lease, long epoch, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease}: the store could not be reached")]
    private static partial void LeaseStoreFailed(ILogger logger, Exception ex, string lease);

    [LoggerMessage(Level = LogLevel.Error, Message = "Work under lease {Lease} failed; it restarts after a pause")]
    private static partial void WorkFailed(ILogger logger, Exception ex, string lease);
}
