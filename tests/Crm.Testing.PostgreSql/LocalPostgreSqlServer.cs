using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Crm.Engine.Storage.PostgreSql;
using Npgsql;

namespace Crm.Testing.PostgreSql;

/// <summary>
/// A private PostgreSQL server for a test run or a benchmark: a fresh cluster in a temporary directory, on a free
/// loopback port, started with <c>initdb</c> and <c>pg_ctl</c> (as the <c>postgres</c> user when the process runs as
/// root, which PostgreSQL refuses), stopped and deleted on dispose. Each store gets a schema or a database of its own.
/// </summary>
public partial class LocalPostgreSqlServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly bool _durable;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "crm-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private string _binaries = "";
    private int _schemas;
    private bool _started;

    /// <summary>A server that will run from a temporary directory once <see cref="StartAsync"/> is called.</summary>
    /// <param name="durable">
    /// Flush commits to disk as a production server does. Off by default: tests need no durability, and without
    /// flushes they do not wait on the disk.
    /// </param>
    public LocalPostgreSqlServer(bool durable = false) => _durable = durable;

    /// <summary>The port the server listens on, on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>A connection string to the <c>postgres</c> database as the superuser.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    /// <summary>The cluster's files; <c>postmaster.pid</c> there names the server's process while it runs.</summary>
    public string DataDirectory => Path.Combine(_root, "data");

    private string LogFile => Path.Combine(_root, "server.log");

    /// <summary>Creates the cluster and starts the server; returns once it accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            throw new InvalidOperationException("The server is already started.");
        }

        _started = true;
        _binaries = FindBinaries();
        Directory.CreateDirectory(_root);
        Port = FreePort();
        if (IsRoot)
        {
            await ExecAsync("chown", ["-R", "postgres:postgres", _root], cancellationToken);
        }

        await RunAsync("initdb", $"-D {DataDirectory} -A trust -U postgres -E UTF8 --no-locale --no-sync", cancellationToken);
        var settings = $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c max_connections=300" +
            (_durable ? "" : " -c fsync=off -c full_page_writes=off");
        await RunAsync("pg_ctl", $"-D {DataDirectory} -l {LogFile} -w -t 60 -o \"{settings}\" start", cancellationToken);
        await WaitUntilAcceptingAsync(cancellationToken);
    }

    /// <summary>Store options for a new, empty schema of its own in the <c>postgres</c> database.</summary>
    public PostgreSqlStoreOptions NewStoreOptions() => new()
    {
        ConnectionString = ConnectionString,
        Schema = "crm_" + Interlocked.Increment(ref _schemas).ToString(CultureInfo.InvariantCulture),
        CommitPollInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Creates an empty database and returns a connection string to it.</summary>
    /// <param name="name">A lower-case identifier, unique on this server.</param>
    /// <param name="cancellationToken">Stops waiting for the server.</param>
    public async Task<string> NewDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a lower-case identifier of letters, digits and underscores.", nameof(name));
        }

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionStringFor(name);
    }

    /// <summary>Stops the server at once and deletes its files.</summary>
    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(DataDirectory))
            {
                await RunAsync("pg_ctl", $"-D {DataDirectory} -m immediate -w stop", CancellationToken.None);
            }
        }
        finally
        {
            if (Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }
    }

    // A pool sized for the machine the tests run on: past a few connections per core, a server only switches between
    // them (a store on a pool of 100 took three times as long to serve 500 racing writers as on one of 16).
    private string ConnectionStringFor(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=16";

    private async Task WaitUntilAcceptingAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException) when (deadline.Elapsed < StartTimeout)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The directory holding initdb and pg_ctl: the first on PATH, else the newest of Debian's versioned directories
    /// (<c>/usr/lib/postgresql/{version}/bin</c>, which the <c>postgresql</c> package does not put on PATH).
    /// </summary>
    private static string FindBinaries()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => decimal.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var version) ? version : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException("PostgreSQL's initdb and pg_ctl were not found on PATH or in /usr/lib/postgresql/*/bin; install the 'postgresql' package.");
    }

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs a PostgreSQL tool, as the postgres user when this process runs as root.</summary>
    private async Task RunAsync(string tool, string arguments, CancellationToken cancellationToken)
    {
        var command = Path.Combine(_binaries, tool) + " " + arguments;
        try
        {
            await (IsRoot
                ? ExecAsync("runuser", ["-u", "postgres", "--", "sh", "-c", command], cancellationToken)
                : ExecAsync("sh", ["-c", command], cancellationToken));
        }
        catch (InvalidOperationException ex) when (File.Exists(LogFile))
        {
            throw new InvalidOperationException($"{ex.Message}\nServer log:\n{await File.ReadAllTextAsync(LogFile, CancellationToken.None)}", ex);
        }
    }

    private static async Task ExecAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
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

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseName();
}
