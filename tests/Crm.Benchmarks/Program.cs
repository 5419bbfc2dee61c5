using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Crm.Benchmarks;
using Crm.Testing.PostgreSql;
using Microsoft.Data.Sqlite;
using Npgsql;

// Throughput and latency of the write and search paths, each on a fresh SQLite file (or PostgreSQL database for (f)). Progress goes to stderr,
// results to stdout. Figures depend on the machine and its disk; compare runs on the same machine only.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var total = Stopwatch.StartNew();
_ = RuntimeEvents.Instance;
var loadAtStart = LoadAverage();
void Progress(string message) => Console.Error.WriteLine($"[{total.Elapsed:mm\\:ss}] {message}");

var writes = options.Writes + options.WriteWarmUp;
var appendCount = Math.Max(options.Runs('a') || options.Runs('b') || options.Runs('f') ? writes : 0, options.Runs('d') ? options.SearchContacts : 0);
var restContacts = options.Runs('e') ? 2 * (options.RestOperations + options.RestWarmUp) : 0;
var clusterContacts = options.Runs('g') ? options.RawPostgreSqlRows + 3 * (options.ClusterCreates + options.ClusterWarmUp) : 0;
var largest = new[] { appendCount, restContacts, clusterContacts, options.Runs('c') ? options.Creates + options.CreateWarmUp : 0, options.Runs('h') ? 1_000 : 0, options.Runs('i') ? options.RuleLatencyContacts : 0, 1 }.Max();
Progress($"Generating {largest:N0} contacts and {appendCount:N0} appends");
var contacts = ContactFaker.Generate(largest);
var appends = ContactAppends.Build(contacts[..Math.Max(appendCount, 1)]);
var averageData = appends.Take(1_000).Average(a => a.Row!.DataJson.Length);
var averagePayload = appends.Take(1_000).Average(a => a.Events[0].PayloadJson.Length);

var summary = new TextTable("Benchmark", "Ops", "Time", "Throughput", "vs (a)", "CPU us/op", "Alloc KB/op", "Target");
var notes = new List<string>();
double? baseline = null;

string Ratio(double rate) => baseline is { } b ? (rate / b).ToString("P1") : "n/a";

// (a) and (b) alternate round by round, so a burst of other load on the machine hits both rather than one.
var rawRounds = new List<RawSqliteBaseline.Result>();
var storeRounds = new List<StoreAppendBenchmark.Result>();
for (var round = 1; round <= options.WriteRounds; round++)
{
    var of = options.WriteRounds > 1 ? $" (round {round} of {options.WriteRounds})" : "";
    if (options.Runs('a'))
    {
        Progress($"(a) raw SQLite: {options.Writes:N0} rows, {options.BatchSize} per transaction{of}");
        rawRounds.Add(RawSqliteBaseline.Run(appends[..writes], options.WriteWarmUp, options.BatchSize));
    }

    if (options.Runs('b'))
    {
        Progress($"(b) IEventStore.AppendAsync: {options.Writes:N0} appends from {options.Writers} writers{of}");
        storeRounds.Add(await StoreAppendBenchmark.RunAsync(appends[..writes], options.WriteWarmUp, options.Writers));
    }
}

if (rawRounds.Count > 0)
{
    var median = Median(rawRounds, r => r.Measurement.PerSecond);
    var a = median.Measurement;
    baseline = a.PerSecond;
    summary.Add("(a) raw Microsoft.Data.Sqlite, 1 thread", Count(a.Operations), Seconds(a.Elapsed), $"{a.PerSecond:N0} rows/s", "100.0%",
        $"{a.CpuMicrosPerOp:N1}", $"{a.AllocatedKbPerOp:N2}", "-");
    notes.Add($"(a) {median.Details}{Rounds(rawRounds.Select(r => r.Measurement.PerSecond))}");
}

if (storeRounds.Count > 0)
{
    var median = Median(storeRounds, r => r.Measurement.PerSecond);
    var m = median.Measurement;
    var met = baseline is { } ab ? (m.PerSecond / ab >= 0.5 ? "met" : "missed") : "n/a";
    summary.Add($"(b) IEventStore.AppendAsync, {options.Writers} writers", Count(m.Operations), Seconds(m.Elapsed), $"{m.PerSecond:N0} appends/s",
        Ratio(m.PerSecond), $"{m.CpuMicrosPerOp:N1}", $"{m.AllocatedKbPerOp:N2}", $">= 50% of (a): {met}");
    notes.Add($"(b) {median.Batches}{Rounds(storeRounds.Select(r => r.Measurement.PerSecond))}");
}

// (f) runs its two sides in alternating rounds too, each on a fresh database of one private server.
var pgRawRounds = new List<PostgreSqlAppendBenchmark.Result>();
var pgStoreRounds = new List<PostgreSqlAppendBenchmark.Result>();
string? postgreSql = null;
if (options.Runs('f'))
{
    await using var server = new LocalPostgreSqlServer(durable: true);
    try
    {
        Progress("(f) starting a private PostgreSQL server (durable commits)");
        await server.StartAsync();
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var version = new NpgsqlCommand("SHOW server_version", connection);
        postgreSql = $"PostgreSQL {await version.ExecuteScalarAsync()} (fsync and synchronous_commit on)";
    }
    catch (InvalidOperationException ex)
    {
        notes.Add($"(f) skipped: {ex.Message}");
    }

    for (var round = 1; postgreSql is not null && round <= options.WriteRounds; round++)
    {
        var of = options.WriteRounds > 1 ? $" (round {round} of {options.WriteRounds})" : "";
        Progress($"(f) raw Npgsql: {options.Writes:N0} rows, {options.PostgreSqlBatchSize} per transaction{of}");
        pgRawRounds.Add(await PostgreSqlAppendBenchmark.RunRawAsync(server, $"raw_{round}", appends[..writes], options.WriteWarmUp, options.PostgreSqlBatchSize));
        Progress($"(f) PostgreSqlEventStore.AppendAsync: {options.Writes:N0} appends from {options.PostgreSqlWriters} writers{of}");
        pgStoreRounds.Add(await PostgreSqlAppendBenchmark.RunStoreAsync(server, $"store_{round}", appends[..writes], options.WriteWarmUp, options.PostgreSqlWriters));
    }
}

if (pgRawRounds.Count > 0)
{
    var raw = Median(pgRawRounds, r => r.Measurement.PerSecond);
    var store = Median(pgStoreRounds, r => r.Measurement.PerSecond);
    var r = raw.Measurement;
    var m = store.Measurement;
    var ratio = m.PerSecond / r.PerSecond;
    summary.Add($"(f) raw Npgsql batched inserts, {options.PostgreSqlBatchSize} per transaction", Count(r.Operations), Seconds(r.Elapsed), $"{r.PerSecond:N0} rows/s",
        Ratio(r.PerSecond), $"{r.CpuMicrosPerOp:N1}", $"{r.AllocatedKbPerOp:N2}", "-");
    summary.Add($"(f) PostgreSqlEventStore.AppendAsync, {options.PostgreSqlWriters} writers", Count(m.Operations), Seconds(m.Elapsed), $"{m.PerSecond:N0} appends/s",
        Ratio(m.PerSecond), $"{m.CpuMicrosPerOp:N1}", $"{m.AllocatedKbPerOp:N2}", $">= 50% of (f) raw: {(ratio >= 0.5 ? "met" : "missed")} ({ratio:P1})");
    notes.Add($"(f) raw: {raw.Details}; server CPU {raw.ServerMicrosPerOp:N1} us/row{Rounds(pgRawRounds.Select(x => x.Measurement.PerSecond))}");
    notes.Add($"(f) store: {store.Details}; server CPU {store.ServerMicrosPerOp:N1} us/append{Rounds(pgStoreRounds.Select(x => x.Measurement.PerSecond))}");
}

var diagnostics = new TextTable("Variant of (c)", "Ops", "Throughput", "CPU us/op", "Cores busy", "Alloc KB/op", "GC 0/1/2", "GC pause", "JIT'd", "Detail");
if (options.Runs('c'))
{
    Progress($"(c) ICrmClient.CreateAsync: {options.Creates:N0} contacts, {options.CreatesInFlight} in flight");
    var c = await GrainCreateBenchmark.RunAsync(contacts[..(options.Creates + options.CreateWarmUp)], options.CreateWarmUp, options.CreatesInFlight, GrainCreateBenchmark.Storage.Sqlite);
    var m = c.Measurement;
    summary.Add($"(c) ICrmClient.CreateAsync, {options.CreatesInFlight} in flight", Count(m.Operations), Seconds(m.Elapsed), $"{m.PerSecond:N0} creates/s",
        Ratio(m.PerSecond), $"{m.CpuMicrosPerOp:N1}", $"{m.AllocatedKbPerOp:N2}", $">= 20,000/s: {(m.PerSecond >= 20_000 ? "met" : "missed")}");
    notes.Add($"(c) {c.Details}");
    AddVariant("engine on SQLite (= c)", c);

    if (options.Diagnostics)
    {
        var n = options.DiagnosticCreates + options.DiagnosticWarmUp;
        Progress($"(c) diagnostics: engine over SQLite with waits timed, {options.DiagnosticCreates:N0} creates");
        AddVariant("engine on SQLite, waits timed", await GrainCreateBenchmark.RunAsync(contacts[..n], options.DiagnosticWarmUp, options.CreatesInFlight, GrainCreateBenchmark.Storage.TimedSqlite));
        Progress($"(c) diagnostics: engine over SQLite without the new grain's stream read, {options.DiagnosticCreates:N0} creates");
        AddVariant("engine on SQLite, no activation read", await GrainCreateBenchmark.RunAsync(contacts[..n], options.DiagnosticWarmUp, options.CreatesInFlight, GrainCreateBenchmark.Storage.SqliteWithoutActivationReads));
        Progress($"(c) diagnostics: engine over a store that stores nothing, {options.DiagnosticCreates:N0} creates");
        AddVariant("engine, no storage", await GrainCreateBenchmark.RunAsync(contacts[..n], options.DiagnosticWarmUp, options.CreatesInFlight, GrainCreateBenchmark.Storage.None));
    }
}

void AddVariant(string name, GrainCreateBenchmark.Result result)
{
    var m = result.Measurement;
    diagnostics.Add(name, Count(m.Operations), $"{m.PerSecond:N0}/s", $"{m.CpuMicrosPerOp:N1}", $"{m.CoresBusy:N2}", $"{m.AllocatedKbPerOp:N1}",
        $"{m.Gen0}/{m.Gen1}/{m.Gen2}", $"{m.GcPause.TotalMilliseconds / m.Elapsed.TotalMilliseconds:P1}", Count(m.MethodsCompiled), result.Details);
}

TextTable? profile = null;
if (options.Runs('c') && options.Diagnostics)
{
    var profiled = Math.Min(contacts.Length, 20_000);
    Progress($"(c) diagnostics: domain code of a create on one thread, {profiled:N0} contacts");
    var steps = CreatePipelineProfile.Run(contacts[..profiled]);
    profile = new TextTable("Step of a create (1 thread, no Orleans, no I/O)", "us/op", "alloc B/op");
    foreach (var step in steps)
    {
        profile.Add(step.Name, $"{step.MicrosPerOp:N1}", $"{step.AllocatedBytesPerOp:N0}");
    }

    profile.Add("total domain code", $"{CreatePipelineProfile.TotalMicros(steps):N1}", "");
}

TextTable? searches = null;
if (options.Runs('d'))
{
    Progress($"(d) search: loading {options.SearchContacts:N0} contacts, then {options.Queries:N0} queries");
    var d = await SearchBenchmark.RunAsync(contacts[..options.SearchContacts], appends[..options.SearchContacts], options.Queries, options.QueryWarmUp);
    var m = d.Measurement;
    summary.Add($"(d) search, {d.Contacts:N0} contacts, sequential", Count(m.Operations), Seconds(m.Elapsed), $"{m.PerSecond:N0} queries/s",
        baseline is { } db ? $"{m.PerSecond / db:P1}*" : "n/a", $"{m.CpuMicrosPerOp:N1}", $"{m.AllocatedKbPerOp:N2}",
        $"p99 < 20 ms: {(d.P99Ms < 20 ? "met" : "missed")}");
    notes.Add($"(d) vs (a) divides queries/s by rows/s: different units, shown only as a scale. Load: {d.Contacts:N0} appends in {d.Load.TotalSeconds:N1} s.");
    searches = new TextTable("Search (Limit 50)", "Queries", "p50 ms", "p99 ms", "max ms", "hits/query", "no hit");
    foreach (var k in d.Kinds)
    {
        searches.Add(Describe(k.Kind), Count(k.Count), $"{k.P50Ms:N2}", $"{k.P99Ms:N2}", $"{k.MaxMs:N2}", $"{k.AverageHits:N1}", Count(k.Empty));
    }

    searches.Add("all", Count(m.Operations), $"{d.P50Ms:N2}", $"{d.P99Ms:N2}", $"{d.Kinds.Max(k => k.MaxMs):N2}", "", "");
    var e = d.EmailByUniqueKey;
    searches.Add("not in the mix: same emails by unique key + row", Count(e.Count), $"{e.P50Ms:N2}", $"{e.P99Ms:N2}", $"{e.MaxMs:N2}", $"{e.AverageHits:N1}", Count(e.Empty));
}

if (options.Runs('h'))
{
    Progress($"(h) rule evaluations: {options.RuleEvaluations:N0} of a 10-rule lead-scoring set in JavaScript, then as C# rules");
    var h = RuleEvaluationBenchmark.Run(contacts[..1_000], options.RuleEvaluations, options.RuleWarmUp);
    var js = h.JavaScript;
    var cs = h.CSharp;
    summary.Add("(h) JavaScript rules, pooled engines, 1 thread", Count(js.Operations), Seconds(js.Elapsed), $"{js.PerSecond:N0} evals/s",
        $"{js.PerSecond / cs.PerSecond:P1} of C#", $"{js.CpuMicrosPerOp:N1}", $"{js.AllocatedKbPerOp:N2}", $">= 100,000/s/core: {(js.PerSecond >= 100_000 ? "met" : "missed")}");
    summary.Add("(h) the same rules in C#, 1 thread", Count(cs.Operations), Seconds(cs.Elapsed), $"{cs.PerSecond:N0} evals/s", "100.0%",
        $"{cs.CpuMicrosPerOp:N1}", $"{cs.AllocatedKbPerOp:N2}", "-");
    notes.Add($"(h) one evaluation = one rule's when (+ then when it holds: {h.MatchedShare:P0} of them), input built from the event's JSON nodes and " +
        $"actions recorded, limits on, realm frozen; {h.Rules} rules round-robin over 1,000 contact updates, one tenant. " +
        $"JavaScript {js.PerSecond:N0}/s vs C# {cs.PerSecond:N0}/s: C# is {cs.PerSecond / js.PerSecond:N1}x faster. " +
        $"A cold tenant's first evaluation also builds and freezes an engine: {h.SandboxCreation.TotalMilliseconds:N1} ms.");
}

TextTable? latency = null;
if (options.Runs('i'))
{
    Progress($"(i) event → action latency: {options.RuleLatencyContacts:N0} contacts created by {options.RuleLatencyInFlight} callers, each tagged by a react rule (JavaScript, then C#)");
    var phases = await RuleLatencyBenchmark.RunAsync(contacts[..options.RuleLatencyContacts], options.RuleLatencyInFlight, options.RuleLatencyPacedRate);
    latency = new TextTable("(i) react rule, event → action", "Load", "Contacts", "Effects/s", "p50 ms", "p99 ms", "max ms", "Target");
    foreach (var p in phases)
    {
        latency.Add(p.Rule, p.Load, Count(p.Contacts), $"{p.EffectsPerSecond:N0}", $"{p.P50Ms:N1}", $"{p.P99Ms:N1}", $"{p.MaxMs:N1}", $"p99 < 10 ms: {(p.P99Ms < 10 ? "met" : "missed")}");
    }

    notes.Add("(i) latency = the rule's record.updated time minus the contact's record.created time, both stamped by the engine: " +
        "log subscription, decision with its outbox row and checkpoint, execution and the tag write. Effects/s counts from the first create to the last tag.");
}

if (options.Runs('j'))
{
    Progress($"(j) e-mail: {options.EmailMessages:N0} messages through the outbound path and the e-mail plugin to a local SMTP sink, then raw MailKit");
    var j = await EmailThroughputBenchmark.RunAsync(options.EmailMessages);
    summary.Add("(j) raw MailKit to an SMTP sink, 32 senders", Count(j.Raw.Operations), Seconds(j.Raw.Elapsed), $"{j.Raw.PerSecond:N0} mails/s", "100.0% (raw)",
        $"{j.Raw.CpuMicrosPerOp:N1}", $"{j.Raw.AllocatedKbPerOp:N2}", "-");
    summary.Add("(j) engine outbound path + e-mail plugin", Count(j.Engine.Operations), Seconds(j.Engine.Elapsed), $"{j.Engine.PerSecond:N0} mails/s",
        $"{j.Engine.PerSecond / j.Raw.PerSecond:P1} of raw", $"{j.Engine.CpuMicrosPerOp:N1}", $"{j.Engine.AllocatedKbPerOp:N2}", "-");
    notes.Add("(j) the engine's figure covers queueing each message on its contact (filled-in template, one event), consent and suppression checks at send time, " +
        "the plugin's SMTP send (one connection per message, as raw), the outcome event and an outbound interaction, all durable; both sides send to the same aiosmtpd sink.");
}

if (options.Runs('k'))
{
    // The raw side commits as the import's bulk path does: one transaction per batch of rows.
    var k = await CliImportBenchmark.RunAsync(options.ImportContacts, options.ImportSearches, Crm.Cli.Import.RecordImporter.BatchSize, Progress);
    var ki = k.Import;
    var kr = k.Raw;
    summary.Add("(k) raw SQLite bulk insert of the same contacts, 1 thread", Count(kr.Operations), Seconds(kr.Elapsed), $"{kr.PerSecond:N0} rows/s", "100.0% (raw)",
        $"{kr.CpuMicrosPerOp:N1}", $"{kr.AllocatedKbPerOp:N2}", "-");
    summary.Add("(k) crm import contacts file.csv --data (a crm process)", Count(ki.Operations), Seconds(ki.Elapsed), $"{ki.PerSecond:N0} rows/s",
        $"{ki.PerSecond / kr.PerSecond:P1} of raw", $"{ki.CpuMicrosPerOp:N1}", "n/a",
        options.ImportContacts >= 1_000_000 ? $"1M < 60 s: {(ki.Elapsed.TotalSeconds < 60 ? "met" : "missed")}" : "-");
    summary.Add($"(k) search on a Crm.Server afterwards, {k.Searches:N0} queries", Count(k.Searches), "", $"p50 {k.SearchP50Ms:N2} ms", "n/a", "", "",
        $"p99 < 20 ms: {(k.SearchP99Ms < 20 ? "met" : "missed")} ({k.SearchP99Ms:N1} ms)");
    notes.Add($"(k) {ki.Operations:N0} rows ({k.CsvBytes / 1024.0 / 1024.0:N1} MiB CSV): {k.Created:N0} contacts in the database afterwards, {k.Rejected:N0} rows rejected; " +
        $"the crm process (its CPU is from the kernel's accounting of ended children; its allocations are not seen from here) peaked at {k.ImportPeakRssBytes / 1048576.0:N0} MiB RSS. " +
        $"A Crm.Server process then opened the data directory (ready in {k.ServerStart.TotalSeconds:N1} s; its reports projection reached the head of the imported log {k.ServerCaughtUp.TotalSeconds:N1} s later) and then answered the searches over HTTP (`GET /api/v1/contacts?q=…&limit=50`); " +
        $"its RSS afterwards {k.ServerRssBytes / 1048576.0:N0} MiB (target < 1 GiB: {(k.ServerRssBytes < 1L << 30 ? "met" : "missed")}), peak {k.ServerPeakRssBytes / 1048576.0:N0} MiB, of which {k.ServerFileRssBytes / 1048576.0:N0} MiB pages of files (the database read through memory maps, and the program's own files). " +
        $"Raw: (a)'s rows and statements in this process, one transaction per {Crm.Cli.Import.RecordImporter.BatchSize:N0} rows, no checks.");
}

if (options.Runs('l'))
{
    var l = await ProjectionCatchUpBenchmark.RunAsync(options.ProjectionDeals, options.ProjectionRounds, Progress);
    var read = Median(l, r => r.ReadOnly.PerSecond).ReadOnly;
    var projected = Median(l, r => r.Projection.PerSecond);
    var p = projected.Projection;
    summary.Add("(l) read the whole log alone, 1,000 a batch", Count(read.Operations), Seconds(read.Elapsed), $"{read.PerSecond:N0} events/s", "100.0% (read)",
        $"{read.CpuMicrosPerOp:N1}", $"{read.AllocatedKbPerOp:N2}", "-");
    summary.Add("(l) reports projection catching up from zero", Count(p.Operations), Seconds(p.Elapsed), $"{p.PerSecond:N0} events/s",
        $"{p.PerSecond / read.PerSecond:P1} of read", $"{p.CpuMicrosPerOp:N1}", $"{p.AllocatedKbPerOp:N2}", "-");
    notes.Add($"(l) {options.ProjectionDeals:N0} deals, each created then moved to another stage with a new amount; the projection reads each batch, " +
        $"loads the rows it touches, applies it and commits rows and checkpoint in one transaction ({projected.Rows:N0} rows at the end)" +
        Rounds(l.Select(r => r.Projection.PerSecond)));
}

TextTable? rest = null;
if (options.Runs('e'))
{
    var e = await RestServerBenchmark.RunAsync(contacts[..restContacts], options.RestOperations, options.RestWarmUp, options.RestClients, Progress);
    var creates = e.HttpCreates.Measurement;
    var gets = e.HttpGets.Measurement;
    summary.Add($"(e) POST /api/v1/contacts, {options.RestClients} clients", Count(creates.Operations), Seconds(creates.Elapsed), $"{creates.PerSecond:N0} creates/s",
        Ratio(creates.PerSecond), $"{creates.CpuMicrosPerOp:N1}", $"{creates.AllocatedKbPerOp:N2}", $">= 5,000/s: {(creates.PerSecond >= 5_000 ? "met" : "missed")}");
    summary.Add($"(e) GET /api/v1/contacts/{{id}}, {options.RestClients} clients", Count(gets.Operations), Seconds(gets.Elapsed), $"{gets.PerSecond:N0} reads/s",
        baseline is { } eb ? $"{gets.PerSecond / eb:P1}*" : "n/a", $"{gets.CpuMicrosPerOp:N1}", $"{gets.AllocatedKbPerOp:N2}",
        $"p99 < 10 ms: {(e.HttpGets.P99Ms < 10 ? "met" : "missed")}");
    notes.Add($"(e) server ready {e.StartUp.TotalSeconds:N1} s after start; compiler settled {e.JitSettle.TotalSeconds:N1} s after the warm-up; {e.Connections} connections opened; " +
        "vs (a) of the reads divides reads/s by rows/s, a scale only. " +
        "Client and server share the process and its cores: CPU and allocations of HTTP rows include the HttpClient's.");

    rest = new TextTable($"(e) {options.RestClients} concurrent callers", "Ops", "Throughput", "p50 ms", "p99 ms", "max ms", "CPU us/op", "Cores busy", "Others' cores",
        "Alloc KB/op", "GC 0/1/2", "GC pause", "JIT'd", "HTTP vs in-process");
    void AddPhase(string name, RestServerBenchmark.Phase phase, string unit, RestServerBenchmark.Phase? inProcess)
    {
        var m = phase.Measurement;
        var versus = inProcess?.Measurement is { } p
            ? $"{m.PerSecond / p.PerSecond:N2}x rate, +{m.CpuMicrosPerOp - p.CpuMicrosPerOp:N0} us CPU"
            : "";
        var others = double.IsNaN(phase.OtherCoresBusy) ? "n/a" : $"{phase.OtherCoresBusy:N2}";
        rest.Add(name, Count(m.Operations), $"{m.PerSecond:N0} {unit}/s", $"{phase.P50Ms:N2}", $"{phase.P99Ms:N2}", $"{phase.MaxMs:N2}", $"{m.CpuMicrosPerOp:N1}",
            $"{m.CoresBusy:N2}", others, $"{m.AllocatedKbPerOp:N1}", $"{m.Gen0}/{m.Gen1}/{m.Gen2}", $"{m.GcPause.TotalMilliseconds / m.Elapsed.TotalMilliseconds:P1}",
            Count(m.MethodsCompiled), versus);
    }

    AddPhase("POST /api/v1/contacts", e.HttpCreates, "creates", e.ClientCreates);
    AddPhase("ICrmClient.CreateAsync, same server", e.ClientCreates, "creates", null);
    AddPhase("GET /api/v1/contacts/{id}", e.HttpGets, "reads", e.ClientGets);
    AddPhase("ICrmClient.GetAsync, same server", e.ClientGets, "reads", null);
    AddPhase("GET /health/live with the key", e.EmptyRequests, "requests", null);
    AddPhase("GET /health/live without a key", e.AnonymousRequests, "requests", null);
    notes.Add($"(e) HTTP creates: {e.HttpCreates.Details}");
    notes.Add($"(e) in-process creates: {e.ClientCreates.Details}");
}

TextTable? cluster = null;
if (options.Runs('g'))
{
    var g = await ClusterBenchmark.RunAsync(contacts, options.ClusterCreates, options.ClusterWarmUp, options.RestClients, options.RawPostgreSqlRows, Progress);
    var raw = g.Raw;
    summary.Add("(g) raw Npgsql, batched, 1 connection", Count(raw.Operations), Seconds(raw.Elapsed), $"{raw.PerSecond:N0} rows/s", Ratio(raw.PerSecond),
        $"{raw.CpuMicrosPerOp:N1}", $"{raw.AllocatedKbPerOp:N2}", "-");
    foreach (var phase in g.Phases)
    {
        var m = phase.Measurement;
        summary.Add($"(g) POST /api/v1/contacts, {phase.Nodes} node{(phase.Nodes > 1 ? "s" : "")} on PostgreSQL", Count(m.Operations), Seconds(m.Elapsed),
            $"{m.PerSecond:N0} creates/s", $"{m.PerSecond / raw.PerSecond:P1} of raw", $"{phase.NodeCpuMicros + phase.ClientCpuMicros + phase.OtherCpuMicros:N1}", "n/a", "-");
    }

    cluster = new TextTable($"(g) nodes ({options.RestClients} HTTP clients spread across them, PostgreSQL {g.PostgreSqlVersion})", "Creates/s", "p50 ms", "p99 ms", "max ms",
        "Failed", "Node CPU us/op", "PostgreSQL+other us/op", "Client us/op", "Commits/create", "Node start s");
    foreach (var phase in g.Phases)
    {
        cluster.Add($"{phase.Nodes}", $"{phase.Measurement.PerSecond:N0}", $"{phase.P50Ms:N1}", $"{phase.P99Ms:N1}", $"{phase.MaxMs:N1}", Count(phase.Failed),
            $"{phase.NodeCpuMicros:N0}", $"{phase.OtherCpuMicros:N0}", $"{phase.ClientCpuMicros:N0}", $"{phase.CommitsPerCreate:N2}", $"{phase.StartUp.TotalSeconds:N1}");
    }

    notes.Add($"(g) raw: {g.RawDetails}. CPU of (g) rows is all processes' (nodes + PostgreSQL + client) per create; every process shares the same {Environment.ProcessorCount} cores.");
}

Console.WriteLine();
Console.WriteLine($"Crm.Engine benchmarks ({(options.Quick ? "quick" : "full")}) on {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, " +
    $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, SQLite {SqliteVersion()}, synchronous=FULL, WAL, temp dir {Path.GetTempPath()}");
if (postgreSql is not null)
{
    Console.WriteLine($"(f) on a private {postgreSql}, client and server on the same cores; CPU us/op of (f) is this process's, the server's is in the notes.");
}

Console.WriteLine($"One append = 1 event (payload ~{averagePayload:N0} B) + record row (data ~{averageData:N0} B) + FTS5 entry + unique email key.");
Console.WriteLine($"Search text of the first contact: \"{appends[0].Row!.SearchText}\"");
Console.WriteLine();
Console.Write(summary);
Console.WriteLine();
foreach (var note in notes)
{
    Console.WriteLine(note);
}

if (searches is not null)
{
    Console.WriteLine();
    Console.Write(searches);
}

if (rest is not null)
{
    Console.WriteLine();
    Console.Write(rest);
}

if (cluster is not null)
{
    Console.WriteLine();
    Console.Write(cluster);
}

if (latency is not null)
{
    Console.WriteLine();
    Console.Write(latency);
}

if (options.Runs('c') && options.Diagnostics)
{
    Console.WriteLine();
    Console.Write(diagnostics);
    Console.WriteLine();
    Console.Write(profile);
}

Console.WriteLine();
Console.WriteLine($"Finished in {total.Elapsed.TotalSeconds:N0} s. Machine load average (1 min) at start {loadAtStart}, at end {LoadAverage()}: " +
    "other processes on the same cores and disk lower every figure.");
return 0;

static T Median<T>(List<T> rounds, Func<T, double> rate) => rounds.OrderBy(rate).ElementAt(rounds.Count / 2);

static string Rounds(IEnumerable<double> rates)
{
    var all = rates.ToList();
    return all.Count < 2 ? "" : $"; median of {all.Count} rounds: {string.Join(" / ", all.Select(r => r.ToString("N0")))} per s";
}

static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

static string Seconds(TimeSpan t) => $"{t.TotalSeconds:N2} s";

static string Describe(SearchBenchmark.Kind kind) => kind switch
{
    SearchBenchmark.Kind.NamePrefix => "name prefix (\"Jen\")",
    SearchBenchmark.Kind.ExactEmail => "exact email",
    SearchBenchmark.Kind.PhoneDigits => "phone digits (7-10)",
    _ => "company word",
};

static string LoadAverage()
{
    try
    {
        return File.ReadAllText("/proc/loadavg").Split(' ')[0];
    }
    catch (IOException)
    {
        return "n/a";
    }
}

static string SqliteVersion()
{
    using var connection = new SqliteConnection("Data Source=:memory:");
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = "SELECT sqlite_version()";
    return (string)command.ExecuteScalar()!;
}
