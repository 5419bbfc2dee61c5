using Crm.Engine.Grains;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Coordination;

/// <summary>
/// Fires due durable timers while this node holds the <c>timers</c> lease: each firing is an append to the timer's
/// record (a <c>timer.fired</c> event) that removes the timer in the same transaction and carries the fence, so a
/// timer fires once even when two nodes briefly both believe they hold the lease.
/// </summary>
internal sealed partial class TimerScheduler(
    IGrainFactory grains,
    ICoordinationStore store,
    TimeProvider time,
    CoordinationOptions options,
    ILogger<TimerScheduler> logger)
{
    public const string LeaseName = "timers";
    private const int Batch = 256;
    private const int Parallelism = 16;

    private readonly Dictionary<string, (int Failures, DateTimeOffset NotBefore)> _failing = new(StringComparer.Ordinal);
    private long _passes;

    /// <summary>Completed scans for due timers (so tests can tell that a scan has happened).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    public async Task RunAsync(LeaseFence fence, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = time.GetUtcNow();
            var due = await store.GetDueTimersAsync(now, Batch, cancellationToken).ConfigureAwait(false);
            var ready = due.Where(t => !_failing.TryGetValue(t.TimerId, out var f) || f.NotBefore <= now).ToArray();
            await Parallel.ForEachAsync(ready, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (timer, ct) => await FireAsync(timer, fence).ConfigureAwait(false)).ConfigureAwait(false);
            Interlocked.Increment(ref _passes);
            if (due.Count == Batch && ready.Length > 0)
            {
                continue;
            }

            var wait = options.TimerPollInterval;
            var next = await store.GetNextTimerDueAsync(cancellationToken).ConfigureAwait(false);
            if (next is { } nextDue && ready.Length == due.Count)
            {
                wait = TimeSpan.FromTicks(Math.Clamp((nextDue - time.GetUtcNow()).Ticks, 0, wait.Ticks));
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task FireAsync(DurableTimer timer, LeaseFence fence)
    {
        var grain = RecordGrainRouting.ForStream(grains, timer.Tenant, timer.StreamId);
        try
        {
            if (grain is null)
            {
                throw new InvalidOperationException($"Timer {timer.TimerId} belongs to a stream that is not a record's.");
            }

            var fired = await grain.FireTimerAsync(timer, fence).ConfigureAwait(false);
            lock (_failing)
            {
                _failing.Remove(timer.TimerId);
            }

            if (fired)
            {
                TimerFired(logger, timer.TimerId, timer.Tenant, time.GetUtcNow() - timer.DueAt);
            }
        }
        catch (LeaseLostException)
        {
            throw;
        }
        catch (Exception ex)
        {
            lock (_failing)
            {
                var failures = _failing.TryGetValue(timer.TimerId, out var f) ? f.Failures + 1 : 1;
                var backoff = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, failures - 1)));
                _failing[timer.TimerId] = (failures, time.GetUtcNow() + backoff);
                TimerFailed(logger, ex, timer.TimerId, timer.Tenant, backoff);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Timer {TimerId} of tenant {Tenant} fired {Late} after its due time")]
    private static partial void TimerFired(ILogger logger, string timerId, string tenant, TimeSpan late);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timer {TimerId} of tenant {Tenant} could not fire; trying again in {Backoff}")]
    private static partial void TimerFailed(ILogger logger, Exception ex, string timerId, string tenant, TimeSpan backoff);
}
