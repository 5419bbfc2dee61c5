using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

[assembly: AssemblyFixture(typeof(Crm.Engine.Storage.PostgreSql.Tests.LocalPostgreSqlServer))]

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// Every test reads the whole log, and a transaction held open by one test holds back the high-water mark of every
/// schema on the server, so the classes using it run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedServer
{
    public const string Name = "One PostgreSQL server";
}

/// <summary>
/// A private PostgreSQL server for the test run: a fresh cluster in a temporary directory, on a free port, started
/// with <c>initdb</c> and <c>pg_ctl</c> (as the <c>postgres</c> user when the tests run as root), deleted afterwards.
/// </summary>
public sealed class LocalPostgreSqlServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "crm-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private string _binaries = "";
    private int _schemas;

    /// <summary>The port the server listens on (127.0.0.1).</summary>
    public int Port { get; private set; }

    /// <summary>A connection string to the <c>postgres</c> database as the superuser.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=100";

    private string DataDirectory => Path.Combine(_root, "data");

    public async ValueTask InitializeAsync()
    {
        _binaries = FindBinaries();
        Directory.CreateDirectory(_root);
        Port = FreePort();
        await ChownAsync(_root);
        await RunAsync("initdb", $"-D {DataDirectory} -A trust -U postgres -E UTF8 --no-locale --no-sync");
        await RunAsync("pg_ctl", $"-D {DataDirectory} -l {Path.Combine(_root, "server.log")} -w -t 60 -o \"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300\" start");
        await WaitUntilAcceptingAsync();
    }

    /// <summary>Store options for a new, empty schema of its own.</summary>
    public PostgreSqlStoreOptions NewStoreOptions() => new()
    {
        ConnectionString = ConnectionString,
        Schema = "crm_" + Interlocked.Increment(ref _schemas),
        CommitPollInterval = TimeSpan.FromMilliseconds(50),
    };

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(DataDirectory))
            {
                await RunAsync("pg_ctl", $"-D {DataDirectory} -m immediate -w stop");
            }
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private async Task WaitUntilAcceptingAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (deadline.Elapsed < StartTimeout)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>initdb and pg_ctl from PATH, or from Debian's versioned directory.</summary>
    private static string FindBinaries()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException("PostgreSQL's initdb and pg_ctl were not found; install the 'postgresql' package.");
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static async Task ChownAsync(string path)
    {
        if (IsRoot)
        {
            await ExecAsync("chown", ["-R", "postgres:postgres", path]);
        }
    }

    /// <summary>Runs a PostgreSQL tool, as the postgres user when the tests run as root (PostgreSQL refuses root).</summary>
    private Task RunAsync(string tool, string arguments)
    {
        var command = Path.Combine(_binaries, tool) + " " + arguments;
        return IsRoot ? ExecAsync("runuser", ["-u", "postgres", "--", "sh", "-c", command]) : ExecAsync("sh", ["-c", command]);
    }

    private static async Task ExecAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
