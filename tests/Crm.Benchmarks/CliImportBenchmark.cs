using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Crm.Testing.Processes;
using CsvHelper;
using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks;

/// <summary>
/// (k) <c>crm import contacts file.csv --data dir</c> of generated contacts, run as a user runs it: the built CLI in
/// a process of its own (its own runtime settings), the engine embedded on a new data directory, the progress bar on
/// the terminal when there is one. Then a Crm.Server process opens that directory and answers searches over HTTP, and
/// its memory is read. Beside it, in the same run, raw Microsoft.Data.Sqlite bulk-inserts the rows of the same
/// contacts ((a)'s code) in this process.
/// </summary>
internal static partial class CliImportBenchmark
{
    private const string Key = "crm_bench_import_key_0123456789";

    private static readonly string CrmPath = typeof(CliImportBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CrmCliPath").Value!;

    public sealed record Result(
        Measurement Import,
        Measurement Raw,
        long Created,
        long Rejected,
        long CsvBytes,
        long ImportPeakRssBytes,
        double SearchP50Ms,
        double SearchP99Ms,
        int Searches,
        TimeSpan ServerStart,
        TimeSpan ServerCaughtUp,
        long ServerRssBytes,
        long ServerPeakRssBytes,
        long ServerFileRssBytes);

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
        var queries = contacts.Take(Math.Min(count, 1_000))
            .SelectMany(c => new[] { c.FirstName[..Math.Min(3, c.FirstName.Length)], c.Email, ContactFaker.CompanyWord(c.Company) })
            .Take(searches).ToArray();
        contacts = null;

        progress($"(k) crm import of {count:N0} contacts ({csvBytes / 1024.0 / 1024.0:N1} MiB of CSV) into a new data directory, in a crm process");
        var data = Path.Combine(directory.Path, "data");
        var rejects = Path.Combine(directory.Path, "rejects.csv");
        var (import, importPeak) = await RunCrmAsync(count, "import", "contacts", csv, "--data", data, "--rejects", rejects);
        var created = CountContacts(Path.Combine(data, "crm.db"));
        var rejected = File.Exists(rejects) ? File.ReadLines(rejects).Count() - 1 : 0;

        progress($"(k) a Crm.Server process on the imported data directory: {searches:N0} searches over HTTP");
        double p50, p99;
        TimeSpan serverStart, caughtUp;
        long serverRss, serverPeak, serverFileRss;
        await using (var server = new ServerNode(1, new Dictionary<string, string>
        {
            ["Crm__DataPath"] = data,
            ["Crm__Auth__BootstrapKey"] = Key,
            ["Crm__RateLimit__PermitsPerSecond"] = "1000000",
            ["Crm__RateLimit__Burst"] = "1000000",
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_NOLOGO"] = "1",
        }, directory.Path))
        {
            var starting = Stopwatch.GetTimestamp();
            await server.StartAsync();
            serverStart = Stopwatch.GetElapsedTime(starting);
            server.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

            // The server first follows the imported log with its projections (reports and the like); searches are timed
            // once the reports projection has reached the head, and the time that took is reported beside them.
            progress("(k) waiting for the server's projections to follow the imported log");
            var following = Stopwatch.GetTimestamp();
            await Crm.Server.IntegrationTests.Eventually.TrueAsync(async () =>
            {
                var status = JsonNode.Parse(await server.Http.GetStringAsync("api/v1/reports/status"))!;
                return (long)status["position"]! >= (long)status["head"]!;
            }, TimeSpan.FromMinutes(10), "the reports projection to reach the head of the log");
            caughtUp = Stopwatch.GetElapsedTime(following);
            foreach (var q in queries.Take(50)) await SearchAsync(server.Http, q);
            var times = new List<double>(queries.Length);
            foreach (var q in queries)
            {
                var started = Stopwatch.GetTimestamp();
                await SearchAsync(server.Http, q);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            times.Sort();
            p50 = times[times.Count / 2];
            p99 = times[Math.Min(times.Count - 1, (int)(times.Count * 0.99))];
            var pid = server.ProcessId!.Value;
            (serverRss, serverPeak, serverFileRss) = (ProcStatus(pid, "VmRSS"), ProcStatus(pid, "VmHWM"), ProcStatus(pid, "RssFile"));
        }

        progress($"(k) raw SQLite bulk insert of the same {count:N0} contacts, {batchSize} per transaction");
        var appends = ContactAppends.Build(ContactFaker.Generate(count));
        var raw = RawSqliteBaseline.Run(appends, 0, batchSize).Measurement;
        return new Result(import, raw, created, rejected, csvBytes, importPeak, p50, p99, queries.Length, serverStart, caughtUp, serverRss, serverPeak, serverFileRss);
    }

    /// <summary>
    /// Runs <c>dotnet crm.dll</c> with <paramref name="arguments"/>, its output on this process's terminal (so the
    /// progress bar shows when there is one), and returns its wall and CPU time (from the kernel's accounting of
    /// ended children) and its peak RSS (the kernel's high-water mark, read while it runs).
    /// </summary>
    private static async Task<(Measurement Run, long PeakRss)> RunCrmAsync(long operations, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        start.ArgumentList.Add(CrmPath);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var before = ChildrenCpu();
        var started = Stopwatch.GetTimestamp();
        using var crm = Process.Start(start) ?? throw new InvalidOperationException("crm did not start.");
        ChildProcesses.Track(crm);
        var peak = 0L;
        var exited = crm.WaitForExitAsync();
        while (!exited.IsCompleted)
        {
            peak = Math.Max(peak, ProcStatus(crm.Id, "VmHWM"));
            await Task.WhenAny(exited, Task.Delay(100));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        if (crm.ExitCode != 0) throw new InvalidOperationException($"crm {string.Join(' ', arguments)} exited with {crm.ExitCode}.");
        return (new Measurement(operations, elapsed, ChildrenCpu() - before, 0, 0, 0, 0, TimeSpan.Zero, 0), peak);
    }

    private static async Task SearchAsync(HttpClient http, string q)
    {
        using var response = await http.GetAsync("api/v1/contacts?limit=50&q=" + Uri.EscapeDataString(q));
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
    }

    private static long CountContacts(string database)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM records WHERE type = 'contact' AND deleted = 0";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>A size line of <c>/proc/{pid}/status</c> in bytes (the kernel writes kB), 0 when the process is gone.</summary>
    private static long ProcStatus(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>User plus system CPU of this process's ended and waited-for children (getrusage RUSAGE_CHILDREN).</summary>
    private static TimeSpan ChildrenCpu()
    {
        var usage = new RUsage();
        if (GetRUsage(-1, ref usage) != 0) return TimeSpan.Zero;
        return TimeSpan.FromMicroseconds((usage.UserSeconds + usage.SystemSeconds) * 1_000_000.0 + usage.UserMicros + usage.SystemMicros);
    }

    // struct rusage on 64-bit Linux: two timevals, then fourteen longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        private unsafe fixed long _rest[14];
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRUsage(int who, ref RUsage usage);
}
