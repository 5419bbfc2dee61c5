using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;

namespace Crm.Benchmarks;

/// <summary>
/// (b) <see cref="IEventStore.AppendAsync"/> on <see cref="SqliteEventStore"/> from many concurrent writers, each
/// append creating a new stream with one event and a contact row, as a contact create does.
/// </summary>
internal static class StoreAppendBenchmark
{
    public sealed record Result(Measurement Measurement, string Batches);

    public static async Task<Result> RunAsync(IReadOnlyList<AppendRequest> appends, int warmUp, int writers)
    {
        using var directory = new TempDataDirectory("store");
        await using var store = SqliteEventStore.Open(new SqliteStoreOptions { Path = directory.DatabasePath });
        using var metrics = new StoreBatchMetrics();

        await AppendAllAsync(store, appends, 0, warmUp, writers);
        metrics.Reset();
        var writer = ThreadClock.StoreWriter();
        var probe = Measurement.Start();
        await AppendAllAsync(store, appends, warmUp, appends.Count - warmUp, writers);
        var measurement = probe.Stop(appends.Count - warmUp);
        return new Result(measurement, $"{metrics.Describe(measurement.Elapsed)}; {writer.Describe(measurement.Elapsed)}");
    }

    /// <summary>Appends <c>appends[start..start+count)</c> from <paramref name="writers"/> async loops.</summary>
    public static Task AppendAllAsync(IEventStore store, IReadOnlyList<AppendRequest> appends, int start, int count, int writers)
    {
        var next = start - 1;
        var end = start + count;

        async Task WriterAsync()
        {
            // Start on the thread pool, not inline on the caller.
            await Task.Yield();
            int i;
            while ((i = Interlocked.Increment(ref next)) < end)
            {
                await store.AppendAsync(appends[i]);
            }
        }

        return Task.WhenAll(Enumerable.Range(0, writers).Select(_ => WriterAsync()));
    }
}
