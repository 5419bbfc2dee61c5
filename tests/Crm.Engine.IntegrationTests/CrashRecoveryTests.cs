using System.Collections.Concurrent;
using Crm.Engine.CrashHost;
using Crm.Engine.Storage.Sqlite;
using Crm.Engine.Testing;

namespace Crm.Engine.IntegrationTests;

/// <summary>A process killed without warning keeps every write it acknowledged, and its directory opens again at once.</summary>
public sealed class CrashRecoveryTests
{
    private const int AcksBeforeKill = 2_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(CrashHostMode.Engine)]
    [InlineData(CrashHostMode.Store)]
    public async Task Killing_the_process_under_load_loses_no_acknowledged_write(CrashHostMode mode)
    {
        using var directory = new TempDataDirectory();
        IReadOnlyList<Ack> acks;
        await using (var host = CrashHostProcess.Start(mode, directory.Path, writers: 32))
        {
            await host.WaitForAcksAsync(AcksBeforeKill, Patience);
            await host.KillAsync(Patience);
            acks = host.Acks;
        }

        // The killed process held the lock file; the operating system must have released it with the process.
        await using var crm = await CrmTestEngine.StartAsync(dataDirectory: directory.Path, cancellationToken: TestContext.Current.CancellationToken);

        var lost = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(acks.GroupBy(a => a.Stream), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (stream, _) =>
        {
            var events = await crm.Store.ReadStreamAsync("default", stream.Key);
            foreach (var ack in stream)
            {
                var stored = events.FirstOrDefault(e => e.Version == ack.Version);
                if (stored is null) lost.Enqueue($"{ack.Stream} version {ack.Version} ({ack.Marker}) is missing; the stream ends at {events.Count}");
                else if (!stored.PayloadJson.Contains($"\"{ack.Marker}\"", StringComparison.Ordinal)) lost.Enqueue($"{ack.Stream} version {ack.Version} holds {stored.PayloadJson}, not the acknowledged {ack.Marker}");
            }
        });
        Assert.True(lost.IsEmpty, $"{lost.Count} of {acks.Count} acknowledged writes were lost:\n{string.Join('\n', lost.Take(20))}");

        var lastVersions = await LogAudit.ReadLastVersionsAsync(crm.Store);
        var drift = await LogAudit.FindReadModelDriftAsync(crm, lastVersions);
        Assert.True(drift.Count == 0, $"The read model differs from the log in {drift.Count} places:\n{string.Join('\n', drift.Take(20))}");
        TestContext.Current.TestOutputHelper?.WriteLine($"{acks.Count} acknowledged writes over {acks.Select(a => a.Stream).Distinct().Count()} streams survived; the log holds {lastVersions.Count} streams.");
    }

    [Fact]
    public async Task Sqlite_store_makes_every_commit_durable_by_default()
    {
        using var directory = new TempDataDirectory();
        await using var store = SqliteEventStore.Open(new SqliteStoreOptions { Path = Path.Combine(directory.Path, "crm.db") });

        Assert.Equal("FULL", store.SynchronousMode);
        Assert.Equal("WAL", store.JournalMode);
        Assert.Equal(SqliteSynchronous.Full, new SqliteStoreOptions().Synchronous);
    }
}
