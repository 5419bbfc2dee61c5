using System.Diagnostics.Metrics;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>Group-commit figures, published through <see cref="System.Diagnostics.Metrics"/> for OpenTelemetry.</summary>
internal static class SqliteStoreMetrics
{
    public const string MeterName = "Crm.Engine.Storage.Sqlite";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> AppendsCommitted =
        Meter.CreateCounter<long>("crm.store.appends.committed", description: "Appends committed to the event store.");

    public static readonly Counter<long> AppendsRejected =
        Meter.CreateCounter<long>("crm.store.appends.rejected", description: "Appends refused (version conflict, duplicate key, error).");

    public static readonly Histogram<int> BatchSize =
        Meter.CreateHistogram<int>("crm.store.batch.size", description: "Appends sharing one transaction.");

    public static readonly Histogram<double> CommitDuration =
        Meter.CreateHistogram<double>("crm.store.batch.duration", unit: "ms", description: "Time to write and commit one batch.");
}
