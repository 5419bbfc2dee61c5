using System.Diagnostics;
using Crm.Engine;
using Crm.Engine.Storage;

namespace Crm.Benchmarks;

/// <summary>
/// Passes every call to the real store and adds up how long callers waited: stream reads (a grain activating) and
/// appends (a write waiting for its group commit to be durable). With <c>skipRecordReads</c> it answers reads of
/// record streams with "empty" without asking the store, which is right only for streams that were never written:
/// it shows what a create would save if a grain did not load its (new) stream on activation.
/// </summary>
internal sealed class InstrumentedEventStore(IEventStore inner, bool skipRecordReads = false) : IEventStore
{
    private long _reads;
    private long _readTicks;
    private long _appends;
    private long _appendTicks;

    public IRecordReadModel ReadModel => inner.ReadModel;

    public ICoordinationStore Coordination => inner.Coordination;
    public IProjectionStore Projections => inner.Projections;

    public double AverageReadMs => _reads == 0 ? 0 : Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _readTicks)).TotalMilliseconds / _reads;

    public double AverageAppendMs => _appends == 0 ? 0 : Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _appendTicks)).TotalMilliseconds / _appends;

    public async Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.AppendAsync(request, cancellationToken);
        }
        finally
        {
            Interlocked.Add(ref _appendTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref _appends);
        }
    }

    public async Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default)
    {
        if (skipRecordReads && streamId != StreamIds.Settings)
        {
            return [];
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.ReadStreamAsync(tenant, streamId, fromVersion, maxCount, cancellationToken);
        }
        finally
        {
            Interlocked.Add(ref _readTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref _reads);
        }
    }

    public Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default) =>
        inner.ReadAllAsync(afterPosition, maxCount, cancellationToken);

    public Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default) => inner.GetHeadPositionAsync(cancellationToken);

    public Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default) => inner.WaitForCommitAsync(afterPosition, cancellationToken);

    public void Reset()
    {
        Interlocked.Exchange(ref _reads, 0);
        Interlocked.Exchange(ref _readTicks, 0);
        Interlocked.Exchange(ref _appends, 0);
        Interlocked.Exchange(ref _appendTicks, 0);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
