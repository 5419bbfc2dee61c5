using System.Diagnostics.Metrics;

namespace Crm.Engine.Storage;

/// <summary>
/// Group-commit figures of an event store, published through <see cref="System.Diagnostics.Metrics"/> for
/// OpenTelemetry under the store's own meter name; every store reports the same instruments.
/// </summary>
internal sealed class StoreMetrics
{
    public StoreMetrics(string meterName)
    {
        var meter = new Meter(meterName);
        AppendsCommitted = meter.CreateCounter<long>("crm.store.appends.committed", description: "Appends committed to the event store.");
        AppendsRejected = meter.CreateCounter<long>("crm.store.appends.rejected", description: "Appends refused (version conflict, duplicate key, lost lease, error).");
        BatchesRewritten = meter.CreateCounter<long>("crm.store.batch.rewritten", description: "Batches written again with a savepoint per append, after an append failed while writing or lost a race.");
        BatchSize = meter.CreateHistogram<int>("crm.store.batch.size", description: "Appends sharing one transaction.");
        BatchDuration = meter.CreateHistogram<double>("crm.store.batch.duration", unit: "ms", description: "Time to check, write and commit one batch.");
    }

    public Counter<long> AppendsCommitted { get; }

    public Counter<long> AppendsRejected { get; }

    public Counter<long> BatchesRewritten { get; }

    public Histogram<int> BatchSize { get; }

    public Histogram<double> BatchDuration { get; }

    /// <summary>Records one committed batch of <paramref name="size"/> writes, <paramref name="rejected"/> of them refused.</summary>
    public void BatchCommitted(int size, int rejected, TimeSpan elapsed)
    {
        AppendsCommitted.Add(size - rejected);
        if (rejected > 0)
        {
            AppendsRejected.Add(rejected);
        }

        BatchSize.Record(size);
        BatchDuration.Record(elapsed.TotalMilliseconds);
    }
}
