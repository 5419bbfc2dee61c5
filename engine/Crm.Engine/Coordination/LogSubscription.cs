using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Coordination;

/// <summary>
/// One consumer's subscription while this node holds its lease: follows the log from the stored checkpoint, stores
/// each decision with the new checkpoint, and executes the outbox rows, retrying failures with back-off.
/// </summary>
internal sealed partial class LogSubscription(
    ILogConsumer consumer,
    IEventStore store,
    TimeProvider time,
    CoordinationOptions options,
    ILogger logger)
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);
    private readonly WakeSignal _outboxWake = new();
    private DateTimeOffset _nextPrune = DateTimeOffset.MinValue;

    /// <summary>The lease this subscription runs under.</summary>
    public string LeaseName => "subscription/" + consumer.Name;

    /// <summary>The work to run while holding the lease.</summary>
    public async Task RunAsync(LeaseFence fence, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var deciding = DecideAsync(fence, stop.Token);
        var executing = ExecuteAsync(fence, stop.Token);
        var first = await Task.WhenAny(deciding, executing).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(deciding, executing).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!first.IsFaulted)
        {
        }

        await first.ConfigureAwait(false);
    }

    private async Task DecideAsync(LeaseFence fence, CancellationToken cancellationToken)
    {
        var position = await store.Coordination.GetCheckpointAsync(consumer.Name, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var events = await store.ReadAllAsync(position, options.SubscriptionBatchSize, cancellationToken).ConfigureAwait(false);
            if (events.Count == 0)
            {
                await store.WaitForCommitAsync(position, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var outbox = await consumer.DecideAsync(events, cancellationToken).ConfigureAwait(false);
            var checkpoint = events[^1].Position;
            // A decision made is stored even when the node is stopping, so a clean restart never decides again.
            await store.Coordination.CommitDecisionAsync(
                new SubscriptionDecision(fence, consumer.Name, checkpoint, outbox, time.GetUtcNow()), CancellationToken.None).ConfigureAwait(false);
            position = checkpoint;
            if (outbox.Count > 0)
            {
                _outboxWake.Wake();
            }
        }
    }

    /// <summary>Outbox rows of different ordering keys executed at the same time.</summary>
    private const int MaxConcurrentRows = 32;

    private async Task ExecuteAsync(LeaseFence fence, CancellationToken cancellationToken)
    {
        const int batch = 256;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentRows, CancellationToken = cancellationToken };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var due = await store.Coordination.GetDueOutboxAsync(consumer.Name, time.GetUtcNow(), batch, cancellationToken).ConfigureAwait(false);

            // Rows of one ordering key run in decision order; different keys run side by side, so one slow effect
            // (a webhook) does not hold up the others, and the store commits their writes together.
            var sequences = due.GroupBy(consumer.OrderingKey).Select(g => g.ToList()).ToList();
            if (sequences.Count == 1)
            {
                foreach (var entry in sequences[0]) await ExecuteOneAsync(fence, entry, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Parallel.ForEachAsync(sequences, parallel, async (sequence, ct) =>
                {
                    foreach (var entry in sequence) await ExecuteOneAsync(fence, entry, ct).ConfigureAwait(false);
                }).ConfigureAwait(false);
            }

            if (due.Count == batch)
            {
                continue;
            }

            await PruneAsync(fence, cancellationToken).ConfigureAwait(false);

            // Sleep until the next retry is due, a new decision wakes us, or the poll interval passes.
            var next = await store.Coordination.GetNextOutboxDueAsync(consumer.Name, cancellationToken).ConfigureAwait(false);
            var wait = options.TimerPollInterval * 2;
            if (next is { } nextDue)
            {
                wait = TimeSpan.FromTicks(Math.Clamp((nextDue - time.GetUtcNow()).Ticks, 0, wait.Ticks));
            }

            await _outboxWake.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Once an hour, deletes done rows older than <see cref="CoordinationOptions.OutboxRetention"/>.</summary>
    private async Task PruneAsync(LeaseFence fence, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now < _nextPrune)
        {
            return;
        }

        _nextPrune = now + PruneInterval;
        const int Chunk = 10_000;
        int pruned;
        do
        {
            pruned = await store.Coordination.PruneOutboxAsync(fence, consumer.Name, now - options.OutboxRetention, Chunk, cancellationToken).ConfigureAwait(false);
        }
        while (pruned == Chunk);
    }

    private async Task ExecuteOneAsync(LeaseFence fence, OutboxEntry entry, CancellationToken cancellationToken)
    {
        OutboxOutcome outcome;
        try
        {
            await consumer.ExecuteAsync(entry, cancellationToken).ConfigureAwait(false);
            outcome = new OutboxOutcome(entry.Id, OutboxStatus.Done, time.GetUtcNow());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var attempt = entry.Attempts + 1;
            var now = time.GetUtcNow();
            if (attempt >= options.OutboxMaxAttempts)
            {
                OutboxGaveUp(logger, ex, consumer.Name, entry.Key, attempt);
                outcome = new OutboxOutcome(entry.Id, OutboxStatus.Failed, now, Error: Describe(ex));
            }
            else
            {
                var backoff = TimeSpan.FromTicks(Math.Min(options.OutboxMaxBackoff.Ticks, options.OutboxBackoff.Ticks * (1L << Math.Min(attempt - 1, 30))));
                OutboxRetry(logger, ex, consumer.Name, entry.Key, attempt, backoff);
                outcome = new OutboxOutcome(entry.Id, OutboxStatus.Pending, now, now + backoff, Describe(ex));
            }
        }

        await store.Coordination.RecordOutboxOutcomeAsync(fence, outcome, CancellationToken.None).ConfigureAwait(false);
    }

    private static string Describe(Exception ex)
    {
        var text = ex.GetType().Name + ": " + ex.Message;
        return text.Length <= 2000 ? text : text[..2000];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {Subscription}: outbox row {Key} failed (attempt {Attempt}); retrying in {Backoff}")]
    private static partial void OutboxRetry(ILogger logger, Exception ex, string subscription, string key, int attempt, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Error, Message = "Subscription {Subscription}: outbox row {Key} failed for good after {Attempt} attempts")]
    private static partial void OutboxGaveUp(ILogger logger, Exception ex, string subscription, string key, int attempt);
}
