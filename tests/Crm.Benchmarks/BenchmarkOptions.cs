using Crm.Engine.Storage.Sqlite;

namespace Crm.Benchmarks;

/// <summary>Sizes of one run. <c>--quick</c> is the CI smoke size (under a minute); the default is the full run.</summary>
internal sealed record BenchmarkOptions
{
    public bool Quick { get; init; }

    /// <summary>Appends written by (a), (b) and each side of (f) in each round, after <see cref="WriteWarmUp"/> untimed ones.</summary>
    public int Writes { get; init; } = 100_000;

    /// <summary>Rounds of (a) then (b), and of (f)'s two sides, each on fresh files or databases; the median round is reported, so a burst of other load hits both less.</summary>
    public int WriteRounds { get; init; } = 3;

    public int WriteWarmUp { get; init; } = 5_000;

    /// <summary>Concurrent writers of (b); the store commits at most 256 appends per transaction.</summary>
    public int Writers { get; init; } = 256;

    /// <summary>Appends per transaction of (a): the store's group-commit cap.</summary>
    public int BatchSize { get; init; } = new SqliteStoreOptions().MaxBatchSize;

    /// <summary>Creates of (c), after <see cref="CreateWarmUp"/> untimed ones.</summary>
    public int Creates { get; init; } = 100_000;

    /// <summary>
    /// Untimed creates first. On two cores tiered compilation keeps recompiling the create path for tens of seconds
    /// (thousands of methods after 20,000 creates, a few hundred after 50,000), competing with the store's writer.
    /// </summary>
    public int CreateWarmUp { get; init; } = 50_000;

    public int CreatesInFlight { get; init; } = 512;

    /// <summary>Creates of each diagnostic variant of (c).</summary>
    public int DiagnosticCreates { get; init; } = 30_000;

    /// <summary>Untimed creates of each variant; the code is compiled by then, the new engine only needs to start up.</summary>
    public int DiagnosticWarmUp { get; init; } = 10_000;

    /// <summary>Contacts loaded before (d).</summary>
    public int SearchContacts { get; init; } = 100_000;

    public int Queries { get; init; } = 2_000;

    public int QueryWarmUp { get; init; } = 200;

    /// <summary>Creates of (e) over HTTP and again in-process, then as many reads of each, after <see cref="RestWarmUp"/> untimed ones of each.</summary>
    public int RestOperations { get; init; } = 25_000;

    /// <summary>
    /// Untimed calls of each operation of (e), before any is timed. Fewer than (c)'s so that a full (e) stays under a
    /// minute; the first timed run still sees a few hundred methods compiled.
    /// </summary>
    public int RestWarmUp { get; init; } = 15_000;

    /// <summary>Concurrent HTTP clients of (e), and concurrent loops of its in-process comparison.</summary>
    public int RestClients { get; init; } = 64;

    /// <summary>Creates of (g) through each cluster size (1, 2, 3 nodes), after <see cref="ClusterWarmUp"/> untimed ones.</summary>
    public int ClusterCreates { get; init; } = 10_000;

    /// <summary>Untimed creates of (g) for each cluster size: the new node's code gets compiled.</summary>
    public int ClusterWarmUp { get; init; } = 3_000;

    /// <summary>Appends' rows written by (g)'s raw Npgsql baseline.</summary>
    public int RawPostgreSqlRows { get; init; } = 30_000;

    /// <summary>Concurrent writers of (f)'s store.</summary>
    public int PostgreSqlWriters { get; init; } = 64;

    /// <summary>Rows per transaction of (f)'s raw inserts: as many as the store's writers can have queued.</summary>
    public int PostgreSqlBatchSize { get; init; } = 64;

    /// <summary>Run the diagnostic variants that explain where a create's time goes.</summary>
    public bool Diagnostics { get; init; } = true;

    /// <summary>Rule evaluations of (h), of each side (JavaScript and C#).</summary>
    public int RuleEvaluations { get; init; } = 1_000_000;

    /// <summary>Untimed evaluations of each side of (h) first: the interpreter's and the rules' code gets compiled.</summary>
    public int RuleWarmUp { get; init; } = 200_000;

    /// <summary>Contacts created for (i), each tagged by a react rule, for each side (JavaScript and C#).</summary>
    public int RuleLatencyContacts { get; init; } = 20_000;

    /// <summary>Creates per second of (i)'s paced half.</summary>
    public int RuleLatencyPacedRate { get; init; } = 200;

    /// <summary>Concurrent creators of (i).</summary>
    public int RuleLatencyInFlight { get; init; } = 64;

    /// <summary>E-mails of (j), through the engine and raw, each.</summary>
    public int EmailMessages { get; init; } = 3_000;

    /// <summary>Contacts (k) imports with the crm CLI from a CSV file, and raw SQLite inserts beside it.</summary>
    public int ImportContacts { get; init; } = 1_000_000;

    /// <summary>Searches (k) runs over the imported contacts.</summary>
    public int ImportSearches { get; init; } = 2_000;

    /// <summary>Deals of (l): each created and updated once, so the log holds twice as many events.</summary>
    public int ProjectionDeals { get; init; } = 100_000;

    /// <summary>Rounds of (l)'s two sides; the median is reported.</summary>
    public int ProjectionRounds { get; init; } = 3;

    /// <summary>Benchmarks to run, of a, b, c, d, e, f, g, h, i, j, k.</summary>
    public string Only { get; init; } = "abcdefghijkl";

    public bool Runs(char benchmark) => Only.Contains(benchmark, StringComparison.Ordinal);

    public static readonly BenchmarkOptions QuickRun = new()
    {
        Quick = true,
        Writes = 10_000,
        WriteWarmUp = 1_000,
        WriteRounds = 1,
        Creates = 10_000,
        CreateWarmUp = 1_000,
        DiagnosticCreates = 5_000,
        DiagnosticWarmUp = 1_000,
        SearchContacts = 10_000,
        Queries = 400,
        QueryWarmUp = 100,
        RestOperations = 5_000,
        RestWarmUp = 2_000,
        ClusterCreates = 1_000,
        RuleEvaluations = 100_000,
        RuleWarmUp = 50_000,
        RuleLatencyContacts = 2_000,
        EmailMessages = 300,
        ProjectionDeals = 10_000,
        ProjectionRounds = 1,
        ClusterWarmUp = 300,
        RawPostgreSqlRows = 3_000,
        ImportContacts = 20_000,
        ImportSearches = 400,
    };

    public static BenchmarkOptions Parse(string[] args)
    {
        var options = args.Contains("--quick") ? QuickRun : new BenchmarkOptions();
        foreach (var arg in args)
        {
            if (arg == "--quick")
            {
                continue;
            }

            if (arg == "--no-diagnostics")
            {
                options = options with { Diagnostics = false };
            }
            else if (arg.StartsWith("--in-flight=", StringComparison.Ordinal) && int.TryParse(arg[12..], out var inFlight) && inFlight is > 0 and <= 100_000)
            {
                options = options with { CreatesInFlight = inFlight };
            }
            else if (arg.StartsWith("--import-rows=", StringComparison.Ordinal) && int.TryParse(arg[14..], out var importRows) && importRows is >= 1_000 and <= 10_000_000)
            {
                options = options with { ImportContacts = importRows };
            }
            else if (arg.StartsWith("--clients=", StringComparison.Ordinal) && int.TryParse(arg[10..], out var clients) && clients is > 0 and <= 10_000)
            {
                options = options with { RestClients = clients };
            }
            else if (arg.StartsWith("--only=", StringComparison.Ordinal) && arg.Length > 7 && arg[7..].All(c => c is 'a' or 'b' or 'c' or 'd' or 'e' or 'f' or 'g' or 'h' or 'i' or 'j' or 'k' or 'l' or ','))
            {
                options = options with { Only = arg[7..] };
            }
            else
            {
                throw new ArgumentException($"Unknown argument '{arg}'. Usage: [--quick] [--no-diagnostics] [--only=a,b,c,d,e,f,g,h,i,j,k] [--in-flight=512] [--clients=64] [--import-rows=100000]");
            }
        }

        return options;
    }
}
