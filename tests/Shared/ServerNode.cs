using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Crm.Testing.Processes;

/// <summary>
/// One Crm.Server process (<c>dotnet Crm.Server.dll</c>, configured by environment variables) — a node of a test
/// cluster, or a single server a test kills — on ports of its own that it keeps across restarts. Its output is kept
/// for the failure messages. The test project names the built server in the assembly metadata <c>CrmServerPath</c>.
/// </summary>
public sealed partial class ServerNode : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly string ServerPath = typeof(ServerNode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CrmServerPath").Value!;

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _workingDirectory;
    private readonly Queue<string> _output = new();
    private Process? _process;

    public ServerNode(int number, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        Number = number;
        HttpPort = FreePort();
        SiloPort = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}/");
        _workingDirectory = workingDirectory;
        _environment = new Dictionary<string, string>(environment)
        {
            ["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/'),
            ["Crm__Silo__Port"] = SiloPort.ToString(),
            ["Crm__Silo__AdvertisedIP"] = "127.0.0.1",
        };
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// The configuration every node of a test cluster shares: cluster mode on the PostgreSQL server at
    /// <paramref name="postgresPort"/>, the bootstrap <paramref name="adminKey"/>, rate limits out of the way, logs at Warning.
    /// </summary>
    public static Dictionary<string, string> ClusterEnvironment(int postgresPort, string clusterId, string adminKey, int poolSize) => new()
    {
        ["Crm__Cluster__Provider"] = "PostgreSql",
        ["ConnectionStrings__Crm"] = $"Host=127.0.0.1;Port={postgresPort};Username=postgres;Database=postgres;Maximum Pool Size={poolSize}",
        ["Crm__Cluster__ClusterId"] = clusterId,
        ["Crm__Auth__BootstrapKey"] = adminKey,
        ["Crm__RateLimit__PermitsPerSecond"] = "1000000",
        ["Crm__RateLimit__Burst"] = "1000000",
        ["Crm__RateLimit__PublicPermitsPerSecond"] = "1000000",
        ["Crm__RateLimit__PublicBurst"] = "1000000",
        ["Logging__LogLevel__Default"] = "Warning",
        ["DOTNET_NOLOGO"] = "1",
    };

    /// <summary>1, 2 or 3.</summary>
    public int Number { get; }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public Uri BaseAddress { get; }

    /// <summary>A client of this node only.</summary>
    public HttpClient Http { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The running process's id, for CPU accounting.</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    /// <summary>Starts the process and waits until <c>/health/ready</c> answers 200.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning) throw new InvalidOperationException($"Node {Number} is already running.");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ServerPath },
            WorkingDirectory = _workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in _environment) start.Environment[name] = value;
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        Remember($"--- node {Number} starting (http {HttpPort}, silo {SiloPort}) ---");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        ChildProcesses.Track(process);

        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"Node {Number} exited with {process.ExitCode} while starting.\n{Output()}");
            try
            {
                using var response = await Http.GetAsync("health/ready", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Node {Number} was not ready within {ReadyTimeout}.\n{Output()}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>SIGKILL: the process dies at once, with whatever it had in flight.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process) return;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        Remember($"--- node {Number} killed ---");
    }

    /// <summary>SIGTERM, as a service manager stops a node, and waits for the process to exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process is not { HasExited: false } process) return;
        if (SendSignal(process.Id, SigTerm) != 0) throw new InvalidOperationException($"Could not signal node {Number}.");
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Node {Number} did not stop within {timeout} of SIGTERM.\n{Output()}");
        }

        Remember($"--- node {Number} stopped, exit code {process.ExitCode} ---");
    }

    /// <summary>The node's recent output, for a failure message.</summary>
    public string Output()
    {
        lock (_output) return string.Join('\n', _output);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Http.Dispose();
    }

    private void Remember(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 300) _output.Dequeue();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

/// <summary>Kills every node process still running when the test process exits, whatever ended it.</summary>
internal static class ChildProcesses
{
    private static readonly List<Process> Started = [];

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static void Track(Process process)
    {
        lock (Started) Started.Add(process);
    }

    private static void KillAll()
    {
        lock (Started)
        {
            foreach (var process in Started)
            {
                try
                {
                    if (!process.HasExited) process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
        }
    }
}
