using System.CommandLine;
using System.Globalization;
using Crm.Engine;
using Spectre.Console;

namespace Crm.Cli.Import;

/// <summary><c>crm import contacts|accounts|deals file.csv</c>: the command, its progress bar and its report.</summary>
internal static class ImportCommand
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["contacts"] = RecordTypes.Contact,
        ["accounts"] = RecordTypes.Account,
        ["deals"] = RecordTypes.Deal,
    };

    public static Command Create(CliApp app)
    {
        var kind = new Argument<string>("type") { Description = "contacts, accounts or deals" };
        kind.AcceptOnlyFromAmong([.. Types.Keys]);
        var file = new Argument<FileInfo>("file") { Description = "The CSV file (UTF-8, header row first)." };
        var map = new Option<string[]>("--map")
        {
            Description = "Maps a column to a field: \"Email Address=email\", \"Region=custom.region\", \"Notes=-\" to skip. Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var rejectsFile = new Option<FileInfo?>("--rejects") { Description = "Writes the rejected rows, with their line and reason, to this CSV file." };
        var parallel = new Option<int?>("--parallel") { Description = "Records written at once (default 64 on a data directory, 16 on a server)." };
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress bar (it is also left out when output is redirected)." };
        var command = new Command("import", "Imports records from a CSV file: columns mapped to fields, duplicates merged, bad rows reported with their line.")
        {
            kind, file, map, rejectsFile, parallel, noProgress,
        };
        command.SetAction(app.Guard(async (parse, ct) =>
        {
            var type = Types[parse.GetValue(kind)!];
            var path = parse.GetValue(file)!;
            if (!path.Exists) throw new CliUsageException($"The file '{path.FullName}' does not exist.");
            var settings = app.Target(parse);
            await using var target = await settings.OpenAsync(ct);
            var importer = new RecordImporter(target, parse.GetValue(parallel) ?? (settings.DataPath is null ? 16 : 64));
            var progress = new ImportProgress { TotalBytes = path.Length };
            var run = importer.ImportAsync(type, () => new FileStream(path.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan),
                parse.GetValue(map) ?? [], progress, ct);
            var outcome = parse.GetValue(noProgress) || !app.Console.Profile.Capabilities.Interactive
                ? await run
                : await ImportProgressDisplay.ShowAsync(app.Console, $"Importing {path.Name}", progress, run);
            ImportReport.Write(app.Console, type, target.Description, outcome);
            if (parse.GetValue(rejectsFile) is { } rejects) await ImportReport.WriteRejectsAsync(rejects.FullName, outcome, ct);
            return 0;
        }));
        return command;
    }
}

/// <summary>The live progress bar of an import: rows done, rows per second, time left.</summary>
internal static class ImportProgressDisplay
{
    public static async Task<ImportOutcome> ShowAsync(IAnsiConsole console, string title, ImportProgress progress, Task<ImportOutcome> run) =>
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RowRateColumn(progress),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: Math.Max(1, progress.TotalBytes));
                while (!run.IsCompleted)
                {
                    task.Value = Math.Min(progress.BytesDone, task.MaxValue);
                    await Task.WhenAny(run, Task.Delay(200));
                }

                task.Value = task.MaxValue;
                return await run;
            });

    /// <summary>Rows done and rows per second.</summary>
    private sealed class RowRateColumn(ImportProgress progress) : ProgressColumn
    {
        private DateTime _started = DateTime.UtcNow;

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            if (progress.RowsDone == 0) _started = DateTime.UtcNow;
            var seconds = Math.Max(0.001, (DateTime.UtcNow - _started).TotalSeconds);
            var done = progress.RowsDone;
            return new Markup(string.Create(CultureInfo.InvariantCulture, $"{done:N0} rows [grey]{done / seconds:N0}/s[/]"));
        }
    }
}
