namespace Crm.Engine.Storage;

/// <summary>
/// The state of the once-per-cluster work kept beside the log: leases with fencing epochs, subscription checkpoints,
/// outbox rows and durable timers. Every write a lease holder makes here is conditional on its epoch, so a deposed
/// owner that wakes up late cannot write.
/// </summary>
public interface ICoordinationStore
{
    /// <summary>
    /// Takes the lease <paramref name="name"/> for <paramref name="owner"/> when nobody holds it or its holder let it
    /// expire (the epoch then goes up by one), or renews it when <paramref name="owner"/> already holds it (same epoch).
    /// Returns null while someone else holds it.
    /// </summary>
    Task<LeaseFence?> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Extends a held lease; false when it was taken over (its epoch moved on).</summary>
    Task<bool> RenewLeaseAsync(LeaseFence fence, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Gives a held lease up at once, so another node takes it without waiting for it to expire.</summary>
    Task ReleaseLeaseAsync(LeaseFence fence, CancellationToken cancellationToken = default);

    /// <summary>The position a subscription has handled everything up to (0 when it never ran).</summary>
    Task<long> GetCheckpointAsync(string subscription, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores what a subscription decided about the events up to <see cref="SubscriptionDecision.Checkpoint"/>: its
    /// outbox rows and its new checkpoint, in one transaction, if the fence still holds.
    /// </summary>
    /// <exception cref="LeaseLostException">The lease moved on; nothing was written.</exception>
    Task CommitDecisionAsync(SubscriptionDecision decision, CancellationToken cancellationToken = default);

    /// <summary>Pending outbox rows of a subscription due at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<OutboxEntry>> GetDueOutboxAsync(string subscription, DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>When the next pending outbox row of a subscription is due, or null when none is pending.</summary>
    Task<DateTimeOffset?> GetNextOutboxDueAsync(string subscription, CancellationToken cancellationToken = default);

    /// <summary>Records the outcome of executing an outbox row, if the fence still holds.</summary>
    /// <exception cref="LeaseLostException">The lease moved on; nothing was written.</exception>
    Task RecordOutboxOutcomeAsync(LeaseFence fence, OutboxOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes up to <paramref name="maxCount"/> of a subscription's done outbox rows completed before
    /// <paramref name="completedBefore"/>, if the fence still holds; failed rows are kept for an operator. Returns how many went.
    /// </summary>
    /// <exception cref="LeaseLostException">The lease moved on; nothing was deleted.</exception>
    Task<int> PruneOutboxAsync(LeaseFence fence, string subscription, DateTimeOffset completedBefore, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Puts a failed outbox row (a dead letter) back to pending, due at <paramref name="now"/> with its attempts
    /// counted from zero; false when there is no failed row with that id in the subscription.
    /// </summary>
    Task<bool> ReplayOutboxAsync(string subscription, long id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Outbox rows of a subscription in any state (for operators and audits), oldest first.</summary>
    Task<IReadOnlyList<OutboxEntry>> ListOutboxAsync(string subscription, long afterId, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>Pending timers due at or before <paramref name="upTo"/>, soonest first.</summary>
    Task<IReadOnlyList<DurableTimer>> GetDueTimersAsync(DateTimeOffset upTo, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>When the soonest pending timer is due, or null when none is pending.</summary>
    Task<DateTimeOffset?> GetNextTimerDueAsync(CancellationToken cancellationToken = default);

    /// <summary>The pending timers of one stream, soonest first.</summary>
    Task<IReadOnlyList<DurableTimer>> GetTimersOfStreamAsync(string tenant, string streamId, CancellationToken cancellationToken = default);
}

/// <summary>Proof of holding a lease: writes made with it are refused once the lease's epoch has moved on.</summary>
[GenerateSerializer, Immutable, Alias("crm.LeaseFence")]
public sealed record LeaseFence(
    [property: Id(0)] string Name,
    [property: Id(1)] string Owner,
    [property: Id(2)] long Epoch,
    [property: Id(3)] DateTimeOffset ExpiresAt);

/// <summary>A durable timer scheduled by an append; its stream receives the firing.</summary>
public sealed record TimerSchedule(string Name, DateTimeOffset DueAt, string? PayloadJson = null);

/// <summary>The pending timer an append fires: it must still be pending at <see cref="DueAt"/>.</summary>
public sealed record TimerFiring(string Name, DateTimeOffset DueAt);

/// <summary>A pending durable timer.</summary>
[GenerateSerializer, Immutable, Alias("crm.DurableTimer")]
public sealed record DurableTimer(
    [property: Id(0)] string Tenant,
    [property: Id(1)] string StreamId,
    [property: Id(2)] string Name,
    [property: Id(3)] DateTimeOffset DueAt,
    [property: Id(4)] string? PayloadJson)
{
    /// <summary>The timer's identity: <c>{streamId}#{name}</c>.</summary>
    public string TimerId => StreamId + "#" + Name;
}

/// <summary>What a subscription decided about a run of events.</summary>
public sealed record SubscriptionDecision(LeaseFence Fence, string Subscription, long Checkpoint, IReadOnlyList<OutboxMessage> Outbox, DateTimeOffset Now);

/// <summary>How executing an outbox row went: done, retry at <see cref="RetryAt"/>, or failed for good.</summary>
public sealed record OutboxOutcome(long Id, OutboxStatus Status, DateTimeOffset Now, DateTimeOffset? RetryAt = null, string? Error = null);

/// <summary>A write was made under a lease whose epoch has moved on; nothing was written.</summary>
[GenerateSerializer, Alias("crm.LeaseLostException")]
public sealed class LeaseLostException : CrmException
{
    public LeaseLostException(string lease, long epoch)
        : base("lease_lost", $"Lease '{lease}' is no longer held at epoch {epoch}.")
    {
        Lease = lease;
        Epoch = epoch;
    }

    [Id(0)] public string Lease { get; }
    [Id(1)] public long Epoch { get; }
}

/// <summary>An append fired a timer that is not pending at that due time (fired already, cancelled or moved); nothing was written.</summary>
[GenerateSerializer, Alias("crm.TimerNotPendingException")]
public sealed class TimerNotPendingException : CrmException
{
    public TimerNotPendingException(string timerId)
        : base("timer_not_pending", $"Timer '{timerId}' is not pending at that due time.") => TimerId = timerId;

    [Id(0)] public string TimerId { get; }
}

/// <summary>An append carried an effect key that an earlier append already applied; nothing was written.</summary>
[GenerateSerializer, Alias("crm.EffectAlreadyAppliedException")]
public sealed class EffectAlreadyAppliedException : CrmException
{
    public EffectAlreadyAppliedException(string effectKey)
        : base("effect_applied", $"Effect '{effectKey}' was already applied.") => EffectKey = effectKey;

    [Id(0)] public string EffectKey { get; }
}
