using Crm.Engine;
using Crm.Engine.Storage;

namespace Crm.Benchmarks;

/// <summary>
/// An event store that stores nothing: every append succeeds at once and every stream reads empty. Running the
/// engine over it shows what the grains, validation and Orleans cost without any I/O. Creates only.
/// </summary>
internal sealed class NullEventStore : IEventStore
{
    private long _position;

    public IRecordReadModel ReadModel => throw new NotSupportedException("The null store keeps no read model.");

    /// <summary>Grants no lease, so no once-per-cluster work runs over the null store.</summary>
    public ICoordinationStore Coordination { get; } = new NoLeases();

    /// <summary>Never reached: without a lease no projection runs.</summary>
    public IProjectionStore Projections => throw new NotSupportedException("The null store keeps no projections.");

    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default)
    {
        var last = Interlocked.Add(ref _position, request.Events.Count);
        return Task.FromResult(new AppendResult(request.ExpectedVersion + request.Events.Count, last - request.Events.Count + 1, last));
    }

    public Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<CrmEvent>>([]);

    public Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<CrmEvent>>([]);

    public Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default) => Task.FromResult(Volatile.Read(ref _position));

    public Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default) => Task.Delay(Timeout.Infinite, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Coordination that never grants a lease: the engine's timer and subscription loops stay idle.</summary>
internal sealed class NoLeases : ICoordinationStore
{
    public Task<LeaseFence?> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default) =>
        Task.FromResult<LeaseFence?>(null);

    public Task<bool> RenewLeaseAsync(LeaseFence fence, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task ReleaseLeaseAsync(LeaseFence fence, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<long> GetCheckpointAsync(string subscription, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task CommitDecisionAsync(SubscriptionDecision decision, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task<IReadOnlyList<OutboxEntry>> GetDueOutboxAsync(string subscription, DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task<DateTimeOffset?> GetNextOutboxDueAsync(string subscription, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task RecordOutboxOutcomeAsync(LeaseFence fence, OutboxOutcome outcome, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task<int> PruneOutboxAsync(LeaseFence fence, string subscription, DateTimeOffset completedBefore, int maxCount, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task<bool> ReplayOutboxAsync(string subscription, long id, DateTimeOffset now, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task<IReadOnlyList<OutboxEntry>> ListOutboxAsync(string subscription, long afterId, int maxCount, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task<IReadOnlyList<DurableTimer>> GetDueTimersAsync(DateTimeOffset upTo, int maxCount, CancellationToken cancellationToken = default) => throw Unsupported();

    public Task<DateTimeOffset?> GetNextTimerDueAsync(CancellationToken cancellationToken = default) => throw Unsupported();

    public Task<IReadOnlyList<DurableTimer>> GetTimersOfStreamAsync(string tenant, string streamId, CancellationToken cancellationToken = default) => throw Unsupported();

    private static NotSupportedException Unsupported() => new("The null store keeps no coordination state.");
}
