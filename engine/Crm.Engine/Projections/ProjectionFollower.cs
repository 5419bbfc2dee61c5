using Crm.Engine.Coordination;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Projections;

/// <summary>
/// Runs one projection while this node holds its lease: reads the log after the projection's checkpoint, applies a run
/// of events to the rows they touch, and stores the rows with the new checkpoint in one transaction. A reset seen
/// at commit (or while idle) sends it back to the stored checkpoint, so a rebuild from zero starts on its own.
/// </summary>
internal sealed partial class ProjectionFollower(
    ILogProjection projection,
    IEventStore store,
    TimeProvider time,
    CoordinationOptions options,
    ILogger logger)
{
    /// <summary>Events applied in one transaction: larger than a subscription's batch, since catching up is the common case.</summary>
    internal const int BatchSize = 1000;

    /// <summary>The lease this projection runs under.</summary>
    public string LeaseName => "projection/" + projection.Name;

    /// <summary>The work to run while holding the lease.</summary>
    public async Task RunAsync(LeaseFence fence, CancellationToken cancellationToken)
    {
        var position = await store.Projections.GetCheckpointAsync(projection.Name, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var events = await store.ReadAllAsync(position, BatchSize, cancellationToken).ConfigureAwait(false);
            if (events.Count == 0)
            {
                await WaitForEventsAsync(position, cancellationToken).ConfigureAwait(false);
                var stored = await store.Projections.GetCheckpointAsync(projection.Name, cancellationToken).ConfigureAwait(false);
                if (stored != position)
                {
                    CheckpointMoved(logger, projection.Name, position, stored);
                    position = stored;
                }

                continue;
            }

            var keys = new HashSet<ProjectionKey>();
            foreach (var e in events) projection.CollectKeys(e, keys);
            var rows = new ProjectionRows(await store.Projections.GetRowsAsync(projection.Name, keys, cancellationToken).ConfigureAwait(false));
            foreach (var e in events)
            {
                try
                {
                    projection.Apply(e, rows);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One event the projection cannot read must not stop it for good; it fails the same way on a rebuild.
                    EventSkipped(logger, ex, projection.Name, e.Position, e.Type);
                }
            }

            var checkpoint = events[^1].Position;
            try
            {
                // A run applied is stored even when the node is stopping, so a clean restart does not apply it again.
                await store.Projections.CommitAsync(rows.ToCommit(fence, projection.Name, position, checkpoint), CancellationToken.None).ConfigureAwait(false);
                position = checkpoint;
            }
            catch (ProjectionCheckpointMovedException moved)
            {
                CheckpointMoved(logger, projection.Name, position, moved.Actual);
                position = moved.Actual;
            }
        }
    }

    /// <summary>Waits for a commit after <paramref name="position"/>, or the poll interval (to notice a reset made elsewhere).</summary>
    private async Task WaitForEventsAsync(long position, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var committed = store.WaitForCommitAsync(position, stop.Token);
        var poll = Task.Delay(options.TimerPollInterval, time, stop.Token);
        await Task.WhenAny(committed, poll).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(committed, poll).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Projection {Projection} could not apply event {Position} ({Type}); it is skipped")]
    private static partial void EventSkipped(ILogger logger, Exception ex, string projection, long position, string type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Projection {Projection} was at {Position}; its stored checkpoint is {Stored} (reset), it follows the log from there")]
    private static partial void CheckpointMoved(ILogger logger, string projection, long position, long stored);
}
