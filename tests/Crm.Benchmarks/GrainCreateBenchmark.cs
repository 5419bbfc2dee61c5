using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Hosting;
using Crm.Engine.Storage.Sqlite;
using Crm.Engine.Testing;

namespace Crm.Benchmarks;

/// <summary>
/// (c) Contact creates through the engine: <see cref="ICrmClient.CreateAsync"/> on an in-process silo over a SQLite
/// file, many in flight. Each create activates a new contact grain (which reads its empty stream), validates and
/// normalises the fields, and appends the event with the read-model row.
/// </summary>
internal static class GrainCreateBenchmark
{
    public enum Storage
    {
        /// <summary>The engine as <see cref="CrmTestEngine"/> sets it up: SQLite, synchronous=FULL.</summary>
        Sqlite,

        /// <summary>SQLite behind <see cref="InstrumentedEventStore"/>, to see how long grains wait on it.</summary>
        TimedSqlite,

        /// <summary>SQLite, but a new grain's stream read is answered "empty" without I/O.</summary>
        SqliteWithoutActivationReads,

        /// <summary><see cref="NullEventStore"/>: no I/O at all.</summary>
        None,
    }

    public sealed record Result(Measurement Measurement, string Details);

    public static async Task<Result> RunAsync(IReadOnlyList<ContactInput> contacts, int warmUp, int inFlight, Storage storage)
    {
        using var directory = new TempDataDirectory("grains");
        InstrumentedEventStore? instrumented = null;
        InstrumentedEventStore Instrument(bool skipRecordReads) => instrumented = new InstrumentedEventStore(
            SqliteEventStore.Open(new SqliteStoreOptions { Path = directory.DatabasePath }), skipRecordReads);
        Action<CrmEngineOptions>? configure = storage switch
        {
            Storage.TimedSqlite => o => o.UseEventStore(_ => Instrument(skipRecordReads: false)),
            Storage.SqliteWithoutActivationReads => o => o.UseEventStore(_ => Instrument(skipRecordReads: true)),
            Storage.None => o => o.UseEventStore(_ => new NullEventStore()),
            _ => null,
        };

        var fields = contacts.Select(c => c.ToFields()).ToArray();
        await using var crm = await CrmTestEngine.StartAsync(directory.Path, configure);
        using var metrics = new StoreBatchMetrics();

        await CreateAllAsync(crm.Client, fields, 0, warmUp, inFlight);
        metrics.Reset();
        instrumented?.Reset();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var writer = ThreadClock.StoreWriter();
        var probe = Measurement.Start();
        await CreateAllAsync(crm.Client, fields, warmUp, fields.Length - warmUp, inFlight);
        var measurement = probe.Stop(fields.Length - warmUp);

        // Every created contact's grain stays active (collection age 30 minutes), holding its state.
        var heapPerActivation = (GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / 1024.0 / measurement.Operations;
        var details = new List<string>();
        if (instrumented is not null && storage == Storage.TimedSqlite)
        {
            details.Add($"grains waited {instrumented.AverageReadMs:N2} ms per activation read, {instrumented.AverageAppendMs:N2} ms per append");
        }

        if (storage != Storage.None)
        {
            details.Add(metrics.Describe(measurement.Elapsed));
            details.Add(writer.Describe(measurement.Elapsed));
        }

        details.Add($"live heap +{heapPerActivation:N1} KB per created contact");
        return new Result(measurement, string.Join("; ", details));
    }

    private static Task CreateAllAsync(ICrmClient client, JsonObject[] fields, int start, int count, int inFlight)
    {
        var next = start - 1;
        var end = start + count;

        async Task CallerAsync()
        {
            await Task.Yield();
            int i;
            while ((i = Interlocked.Increment(ref next)) < end)
            {
                await client.CreateAsync("contact", fields[i]);
            }
        }

        return Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => CallerAsync()));
    }
}
