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

    public static readonly Counter<long> RacesLost =
        Meter.CreateCounter<long>("crm.store.batch.races_lost", description: "Batches rewritten one append at a time because another node wrote a stream or key after the check.");

    public static readonly Histogram<int> BatchSize =
        Meter.CreateHistogram<int>("crm.store.batch.size", description: "Appends sharing one transaction.");

    public static readonly Histogram<double> BatchDuration =
        Meter.CreateHistogram<double>("crm.store.batch.duration", unit: "ms", description: "Time to check, write and commit one batch.");
}
