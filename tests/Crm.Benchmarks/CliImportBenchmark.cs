using System.Diagnostics;
using System.Globalization;
using Crm.Cli.Import;
using Crm.Cli.Targets;
using Crm.Engine;
using CsvHelper;
using Spectre.Console;

namespace Crm.Benchmarks;

/// <summary>
/// (k) <c>crm import contacts file.csv --data dir</c> of generated contacts, the CLI's own import path (the engine
/// embedded, new rows in batches through the engine's bulk create, each with the full write pipeline), with its
/// progress bar on stderr when that is a terminal; then searches over the imported contacts and the process's memory.
/// Beside it, in the same run, raw Microsoft.Data.Sqlite bulk-inserts the rows of the same contacts ((a)'s code).
/// </summary>
internal static class CliImportBenchmark
{
    public sealed record Result(
        Measurement Import,
        Measurement Raw,
        ImportOutcome Outcome,
        long CsvBytes,
        double SearchP50Ms,
        double SearchP99Ms,
        int Searches,
        long PeakRssBytes,
        long RssAfterImportBytes,
        long ManagedBeforeImportBytes);

    public static async Task<Result> RunAsync(int count, int searches, int batchSize, Action<string> progress)
    {
        using var directory = new TempDataDirectory("cli-import");
        var csv = Path.Combine(directory.Path, "contacts.csv");
        var contacts = ContactFaker.Generate(count);
        await using (var writer = CsvWriter.Create(File.Create(csv)))
        {
            foreach (var header in new[] { "Email", "First Name", "Last Name", "Phone", "Company", "Job Title", "Lead Source", "Tags" }) writer.WriteField(header);
            await writer.EndRecordAsync();
            foreach (var c in contacts)
            {
                writer.WriteField(c.Email);
                writer.WriteField(c.FirstName);
                writer.WriteField(c.LastName);
                writer.WriteField(c.Phone);
                writer.WriteField(c.Company);
                writer.WriteField(c.Title);
                writer.WriteField(c.Source);
                writer.WriteField(c.Tag);
                await writer.EndRecordAsync();
            }
        }

        var csvBytes = new FileInfo(csv).Length;
        var queries = contacts.Take(Math.Min(count, 1_000)).SelectMany(c => new[] { c.FirstName[..Math.Min(3, c.FirstName.Length)], c.Email, ContactFaker.CompanyWord(c.Company) })
            .Take(searches).ToArray();
        contacts = null;
        GC.Collect();
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);

        progress($"(k) crm import of {count:N0} contacts ({csvBytes / 1024.0 / 1024.0:N1} MiB of CSV) into a new data directory");
        var data = Path.Combine(directory.Path, "data");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var probe = Measurement.Start();
        ImportOutcome outcome;
        Measurement import;
        double p50, p99;
        long rssAfter, peak;
        await using (var target = await EmbeddedTarget.StartAsync(data, "default", CancellationToken.None))
        {
            var counters = new ImportProgress { TotalBytes = csvBytes };
            var run = new RecordImporter(target, 64).ImportAsync(RecordTypes.Contact,
                () => new FileStream(csv, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), [], counters, CancellationToken.None);
            outcome = console.Profile.Capabilities.Interactive ? await ImportProgressDisplay.ShowAsync(console, "crm import", counters, run) : await run;
            import = probe.Stop(outcome.Rows);
            rssAfter = Process.GetCurrentProcess().WorkingSet64;

            progress($"(k) {searches:N0} searches over the imported contacts");
            var times = new List<double>(queries.Length);
            foreach (var q in queries.Take(50)) await target.Client.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = q, Limit = 50 });
            foreach (var q in queries)
            {
                var started = Stopwatch.GetTimestamp();
                await target.Client.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = q, Limit = 50 });
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            times.Sort();
            p50 = times[times.Count / 2];
            p99 = times[Math.Min(times.Count - 1, (int)(times.Count * 0.99))];
            peak = Process.GetCurrentProcess().PeakWorkingSet64;
        }

        // After the engine stopped, so its followers still catching up on the imported log do not share the cores.
        progress($"(k) raw SQLite bulk insert of the same {count:N0} contacts, {batchSize} per transaction");
        var appends = ContactAppends.Build(ContactFaker.Generate(count));
        var raw = RawSqliteBaseline.Run(appends, 0, batchSize).Measurement;
        return new Result(import, raw, outcome, csvBytes, p50, p99, queries.Length, peak, rssAfter, managedBefore);
    }
}
