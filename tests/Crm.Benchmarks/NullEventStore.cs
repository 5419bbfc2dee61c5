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
