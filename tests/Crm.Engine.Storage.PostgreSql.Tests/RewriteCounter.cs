using System.Diagnostics.Metrics;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>Counts the store's batches written again with a savepoint per append while it lives.</summary>
internal sealed class RewriteCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private int _count;

    public RewriteCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Crm.Engine.Storage.PostgreSql" && instrument.Name == "crm.store.batch.rewritten")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, (int)value));
        _listener.Start();
    }

    public int Count => Volatile.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
