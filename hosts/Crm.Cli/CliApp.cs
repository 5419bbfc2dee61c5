using System.CommandLine;
using Crm.Cli.Access;
using Crm.Cli.Backup;
using Crm.Cli.Export;
using Crm.Cli.Import;
using Crm.Cli.Rules;
using Crm.Cli.Targets;
using Crm.Engine;
using Crm.Engine.Client;
using Spectre.Console;

namespace Crm.Cli;

/// <summary>The <c>crm</c> command tree, writing to one console (the terminal, or a test's console).</summary>
internal sealed class CliApp
{
    /// <summary>Exit code of a command that failed.</summary>
    public const int Failed = 1;

    /// <summary>Exit code of a command that cannot run as asked (bad options, no target, a directory a server holds).</summary>
    public const int Refused = 2;

    private readonly Func<string, string?> _environment;

    public CliApp(IAnsiConsole console, Func<string, string?>? environment = null)
    {
        Console = console;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        Root = new RootCommand("crm: tenants, users and keys, CSV import and export, backup and restore, rule tests — against a Crm.Server (--url, --key) or a data directory (--data).");
        foreach (var option in new Option[] { UrlOption, KeyOption, DataOption, TenantOption }) Root.Options.Add(option);
        Root.Subcommands.Add(ImportCommand.Create(this));
        Root.Subcommands.Add(ExportCommand.Create(this));
        Root.Subcommands.Add(BackupCommands.CreateBackup(this));
        Root.Subcommands.Add(BackupCommands.CreateRestore(this));
        Root.Subcommands.Add(AccessCommands.CreateTenants(this));
        Root.Subcommands.Add(AccessCommands.CreateUsers(this));
        Root.Subcommands.Add(AccessCommands.CreateKeys(this));
        Root.Subcommands.Add(RuleCommands.Create(this));
    }

    public IAnsiConsole Console { get; }

    public RootCommand Root { get; }

    public Option<string?> UrlOption { get; } = new("--url") { Description = "The server's address, e.g. http://localhost:5080 (or CRM_URL).", Recursive = true };

    public Option<string?> KeyOption { get; } = new("--key") { Description = "An API key of the server (or CRM_KEY).", Recursive = true };

    public Option<string?> DataOption { get; } = new("--data") { Description = "A data directory to work on with the engine embedded (no server may hold it).", Recursive = true };

    public Option<string> TenantOption { get; } = new("--tenant")
    {
        Description = "The tenant, with --data (a key's own tenant is used with --url).",
        Recursive = true,
        DefaultValueFactory = _ => "default",
    };

    /// <summary>Runs the command line; the exit code is 0 on success.</summary>
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var output = new ConsoleWriter(Console);
        var parse = Root.Parse(args);
        var exit = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, cancellationToken);
        // A command line that does not parse has been answered with its errors and the help: it could not run as asked.
        return parse.Errors.Count > 0 ? Refused : exit;
    }

    /// <summary>Where the command works: a data directory when <c>--data</c> is given, otherwise the server of <c>--url</c>/<c>CRM_URL</c>.</summary>
    public TargetSettings Target(ParseResult parse) => new(
        parse.GetValue(UrlOption) ?? (parse.GetValue(DataOption) is null ? _environment("CRM_URL") : null),
        parse.GetValue(KeyOption) ?? _environment("CRM_KEY"),
        parse.GetValue(DataOption),
        parse.GetValue(TenantOption) ?? "default");

    /// <summary>Wraps a command's body: known failures become one clear line and an exit code, never a stack trace.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Guard(Func<ParseResult, CancellationToken, Task<int>> body) => async (parse, ct) =>
    {
        try
        {
            return await body(parse, ct);
        }
        catch (DataDirectoryHeldException ex)
        {
            return Error(ex.Message, Refused);
        }
        catch (DataDirectoryLockedException ex)
        {
            return Error(new DataDirectoryHeldException(ex.Path).Message, Refused);
        }
        catch (TargetModeException ex)
        {
            return Error(ex.Message, Refused);
        }
        catch (ImportSetupException ex)
        {
            return Error(ex.Message, Refused);
        }
        catch (CliUsageException ex)
        {
            return Error(ex.Message, Refused);
        }
        catch (CrmApiException ex)
        {
            return Error("The server refused: " + ex.Message + (ex.Errors.Count > 0 ? " (" + string.Join("; ", ex.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")) + ")" : ""), Failed);
        }
        catch (HttpRequestException ex)
        {
            return Error("The server cannot be reached: " + ex.Message, Failed);
        }
        catch (CrmException ex)
        {
            return Error(ex.Message, Failed);
        }
        catch (IOException ex)
        {
            return Error(ex.Message, Failed);
        }
        catch (UnauthorizedAccessException ex)
        {
            return Error(ex.Message, Failed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Error($"{ex.GetType().Name}: {ex.Message}", Failed);
        }
    };

    /// <summary>Prints an error line and answers <paramref name="exitCode"/>.</summary>
    public int Error(string message, int exitCode)
    {
        Console.MarkupLine("[red]error:[/] " + Markup.Escape(message));
        return exitCode;
    }
}

/// <summary>The command line asks for something that cannot be done (e.g. keys on a data directory).</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>System.CommandLine's help and parse errors, written as they are to the same output as everything else.</summary>
internal sealed class ConsoleWriter(IAnsiConsole console) : TextWriter
{
    private TextWriter Out => console.Profile.Out.Writer;

    public override System.Text.Encoding Encoding => Out.Encoding;

    public override void Write(char value) => Out.Write(value);

    public override void Write(string? value) => Out.Write(value);

    public override void WriteLine(string? value) => Out.WriteLine(value);

    public override void Flush() => Out.Flush();
}
