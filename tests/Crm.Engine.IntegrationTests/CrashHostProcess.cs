using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Crm.Engine.CrashHost;

namespace Crm.Engine.IntegrationTests;

/// <summary>
/// The crash host running as a child process: its acknowledged writes as they arrive, and ways to wait for them,
/// kill it (SIGKILL on Unix) or ask it to let go of its directory. Only complete lines count: a line torn by the kill
/// was never acknowledged.
/// </summary>
internal sealed class CrashHostProcess : IAsyncDisposable
{
    private const string HostAssembly = "Crm.Engine.CrashHost.dll";

    private readonly Process _process;
    private readonly Task _stdout;
    private readonly Lock _gate = new();
    private readonly List<Ack> _acks = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _ackWaiters = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _stderr = new();

    private CrashHostProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
        _stdout = Task.Run(ReadStandardOutputAsync);
    }

    /// <summary>Starts the host built next to this test assembly, with the same runtime that runs the tests.</summary>
    public static CrashHostProcess Start(CrashHostMode mode, string dataDirectory, int writers = 32)
    {
        var hostPath = Path.Combine(AppContext.BaseDirectory, HostAssembly);
        if (!File.Exists(hostPath))
        {
            throw new FileNotFoundException($"The crash host was not built next to the tests ({hostPath}); the test project references it so that it is.", hostPath);
        }

        var arguments = new CrashHostArguments(mode, dataDirectory, writers, MaxLifetime: TimeSpan.FromMinutes(2));
        var start = new ProcessStartInfo(DotnetMuxer())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(hostPath);
        foreach (var argument in arguments.ToCommandLine()) start.ArgumentList.Add(argument);
        return new CrashHostProcess(Process.Start(start) ?? throw new InvalidOperationException("The crash host did not start."));
    }

    public int ProcessId => _process.Id;

    /// <summary>Every acknowledged write read so far.</summary>
    public IReadOnlyList<Ack> Acks
    {
        get
        {
            lock (_gate) return [.. _acks];
        }
    }

    /// <summary>What the host wrote on standard error (its failures).</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>Completes once the host has its directory open.</summary>
    public Task WaitUntilReadyAsync(TimeSpan timeout) => WaitAsync(_ready.Task, timeout, "to report it is ready");

    /// <summary>Completes once at least <paramref name="count"/> writes were acknowledged.</summary>
    public Task WaitForAcksAsync(int count, TimeSpan timeout)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_acks.Count >= count) return Task.CompletedTask;
            _ackWaiters.Add((count, reached));
        }

        return WaitAsync(reached.Task, timeout, $"to acknowledge {count} writes");
    }

    /// <summary>Kills the host and its children at once (SIGKILL on Unix), then reads what it printed before dying.</summary>
    public async Task KillAsync(TimeSpan timeout)
    {
        Assert.False(_process.HasExited, $"The crash host exited by itself (code {ExitCodeOrNull()}) before it was killed.\n{StandardError}");
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(timeout);
        await _stdout.WaitAsync(timeout);
    }

    /// <summary>Closes the host's standard input, which tells it to stop and let go of its directory, and waits until it has.</summary>
    public async Task ReleaseAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        await WaitAsync(_released.Task, timeout, "to let go of its directory");
        await _process.WaitForExitAsync().WaitAsync(timeout);
        Assert.Equal(0, _process.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task WaitAsync(Task condition, TimeSpan timeout, string what)
    {
        try
        {
            // Stop waiting as soon as the host dies instead of waiting out the timeout.
            await Task.WhenAny(condition, _stdout).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
        }

        if (condition.IsCompleted)
        {
            await condition;
            return;
        }

        var state = _stdout.IsCompleted ? $"exited with code {ExitCodeOrNull()}" : $"was still running after {timeout}";
        Assert.Fail($"Waited for the crash host {what}, but it {state}; {Acks.Count} writes acknowledged.\n{StandardError}");
    }

    private async Task ReadStandardOutputAsync()
    {
        var reader = _process.StandardOutput;
        var buffer = new char[64 * 1024];
        var pending = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n') continue;
                pending.Append(buffer, start, i - start);
                OnLine(pending.ToString());
                pending.Clear();
                start = i + 1;
            }

            pending.Append(buffer, start, read - start);
        }

        // Whatever is left in pending was cut off by the kill: it is not an acknowledgement.
    }

    private void OnLine(string line)
    {
        if (Ack.TryParse(line, out var ack))
        {
            lock (_gate)
            {
                _acks.Add(ack);
                for (var i = _ackWaiters.Count - 1; i >= 0; i--)
                {
                    if (_acks.Count < _ackWaiters[i].Count) continue;
                    _ackWaiters[i].Reached.TrySetResult();
                    _ackWaiters.RemoveAt(i);
                }
            }
        }
        else if (line == HostOutput.Ready)
        {
            _ready.TrySetResult();
        }
        else if (line == HostOutput.Released)
        {
            _released.TrySetResult();
        }
    }

    private int? ExitCodeOrNull() => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The <c>dotnet</c> executable of the runtime running the tests, so the host runs on the same runtime.</summary>
    private static string DotnetMuxer()
    {
        var executable = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == executable) return self;

        // The runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var beside = Path.Combine(root, executable);
        if (File.Exists(beside)) return beside;

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromCli && File.Exists(fromCli) ? fromCli : executable;
    }
}
