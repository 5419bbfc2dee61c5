namespace Crm.Engine.Storage;

/// <summary>
/// The store as handed out by dependency injection: the container must not dispose it, because
/// <c>EventStoreLifetime</c> closes it at the right point of silo shutdown.
/// </summary>
internal sealed class NonOwningEventStore(IEventStore inner) : IEventStore
{
    public IRecordReadModel ReadModel => inner.ReadModel;

    public ICoordinationStore Coordination => inner.Coordination;

    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default) => inner.AppendAsync(request, cancellationToken);

    public Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default) =>
        inner.ReadStreamAsync(tenant, streamId, fromVersion, maxCount, cancellationToken);

    public Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default) =>
        inner.ReadAllAsync(afterPosition, maxCount, cancellationToken);

    public Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default) => inner.GetHeadPositionAsync(cancellationToken);

    public Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default) => inner.WaitForCommitAsync(afterPosition, cancellationToken);

    // Closing is EventStoreLifetime's job.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
