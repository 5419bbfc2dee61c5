using Crm.Engine.Hosting;

namespace Crm.Engine.Storage;

/// <summary>
/// The store as handed out by dependency injection: the container must not dispose it, because
/// <c>EventStoreLifetime</c> opens it when the silo starts and closes it at the right point of silo shutdown.
/// </summary>
internal sealed class NonOwningEventStore(EventStoreLifetime lifetime) : IEventStore
{
    private IEventStore Inner => lifetime.Store;

    public IRecordReadModel ReadModel => Inner.ReadModel;

    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default) => Inner.AppendAsync(request, cancellationToken);

    public Task<IReadOnlyList<AppendOutcome>> AppendManyAsync(IReadOnlyList<AppendRequest> requests, CancellationToken cancellationToken = default) =>
        Inner.AppendManyAsync(requests, cancellationToken);

    public ICoordinationStore Coordination => Inner.Coordination;
    public IProjectionStore Projections => Inner.Projections;

    public Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default) =>
        Inner.ReadStreamAsync(tenant, streamId, fromVersion, maxCount, cancellationToken);

    public Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default) =>
        Inner.ReadAllAsync(afterPosition, maxCount, cancellationToken);

    public Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default) => Inner.GetHeadPositionAsync(cancellationToken);

    public Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default) => Inner.WaitForCommitAsync(afterPosition, cancellationToken);

    // Closing is EventStoreLifetime's job.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
