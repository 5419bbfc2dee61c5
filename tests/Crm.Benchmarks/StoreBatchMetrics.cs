using System.Diagnostics.Metrics;

namespace Crm.Benchmarks;

/// <summary>
/// Listens to a store's group-commit instruments while alive (meter <c>Crm.Engine.Storage.Sqlite</c> unless told
/// otherwise): how many appends shared a transaction and how long each batch took to write and commit.
/// </summary>
internal sealed class StoreBatchMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _batches;
    private long _appends;
    private double _commitMs;
    private double _maxCommitMs;

    public StoreBatchMetrics(string meterName = "Crm.Engine.Storage.Sqlite")
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name is "crm.store.batch.size" or "crm.store.batch.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, size, _, _) =>
        {
            // Recorded once per batch, by the store's one writer.
            _batches++;
            _appends += size;
        });
        _listener.SetMeasurementEventCallback<double>((_, ms, _, _) =>
        {
            _commitMs += ms;
            _maxCommitMs = Math.Max(_maxCommitMs, ms);
        });
        _listener.Start();
    }

    public long Batches => Volatile.Read(ref _batches);

    public double AverageBatchSize => _batches == 0 ? 0 : (double)_appends / _batches;

    /// <summary>Average time the writer spent on one batch, BEGIN to durable COMMIT.</summary>
    public double AverageBatchMs => _batches == 0 ? 0 : _commitMs / _batches;

    public double MaxBatchMs => _maxCommitMs;

    /// <summary>Share of the wall time the single writer thread was busy with batches.</summary>
    public double WriterBusy(TimeSpan elapsed) => _commitMs / elapsed.TotalMilliseconds;

    public void Reset()
    {
        _batches = 0;
        _appends = 0;
        _commitMs = 0;
        _maxCommitMs = 0;
    }

    public string Describe(TimeSpan elapsed) =>
        $"{Batches:N0} commits, {AverageBatchSize:N1} appends/commit, {AverageBatchMs:N2} ms/commit (max {MaxBatchMs:N1}), writer busy {WriterBusy(elapsed):P0}";

    public void Dispose() => _listener.Dispose();
}
