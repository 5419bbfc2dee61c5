using Spectre.Console.Testing;

namespace Crm.Cli.Tests;

/// <summary>Runs the <c>crm</c> command line in-process on a test console, as a user would type it.</summary>
internal static class CliRun
{
    /// <summary>Runs the command; answers its exit code and everything it printed. CRM_URL/CRM_KEY come from <paramref name="environment"/> only.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(params string[] args) => await RunWithAsync(null, args);

    /// <summary>Runs the command on a console that says it is an interactive terminal (live displays render).</summary>
    public static async Task<(int Exit, string Output)> RunInteractiveAsync(params string[] args)
    {
        var console = new TestConsole().Width(200).Interactive();
        var app = new CliApp(console, _ => null);
        var exit = await app.RunAsync(args, TestContext.Current.CancellationToken);
        return (exit, console.Output);
    }

    public static async Task<(int Exit, string Output)> RunWithAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var console = new TestConsole().Width(400);
        var app = new CliApp(console, name => environment?.GetValueOrDefault(name));
        var exit = await app.RunAsync(args, TestContext.Current.CancellationToken);
        return (exit, console.Output);
    }
}

/// <summary>A fresh directory under the temp path, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "crm-cli-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing engine; the OS cleans the temp directory eventually.
        }
    }
}
