using System.Diagnostics.Metrics;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>Group-commit figures, published through <see cref="System.Diagnostics.Metrics"/> for OpenTelemetry.</summary>
internal static class PostgreSqlStoreMetrics
{
    public const string MeterName = "Crm.Engine.Storage.PostgreSql";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> AppendsCommitted =
        Meter.CreateCounter<long>("crm.store.appends.committed", description: "Appends committed to the event store.");

    public static readonly Counter<long> AppendsRejected =
        Meter.CreateCounter<long>("crm.store.appends.rejected", description: "Appends refused (version conflict, duplicate key, error).");

    public static readonly Counter<long> BatchesRewritten =
        Meter.CreateCounter<long>("crm.store.batch.rewritten", description: "Batches written again with a savepoint per append: an append lost a race to another node after the check, or failed while writing.");

    public static readonly Histogram<int> BatchSize =
        Meter.CreateHistogram<int>("crm.store.batch.size", description: "Appends sharing one transaction.");

    public static readonly Histogram<double> BatchDuration =
        Meter.CreateHistogram<double>("crm.store.batch.duration", unit: "ms", description: "Time to check, write and commit one batch.");
}
