using System.CommandLine;
using System.Globalization;
using Crm.Cli.Targets;
using Spectre.Console;

namespace Crm.Cli.Backup;

/// <summary><c>crm backup &lt;file&gt; --data &lt;dir&gt;</c> and <c>crm restore &lt;file&gt; --data &lt;newdir&gt;</c>.</summary>
internal static class BackupCommands
{
    public static Command CreateBackup(CliApp app)
    {
        var file = new Argument<FileInfo>("file") { Description = "Where to write the backup (one SQLite file)." };
        var command = new Command("backup", "Backs up a data directory into one file with SQLite's online backup API — safe while a server runs on it.") { file };
        command.SetAction(app.Guard((parse, _) =>
        {
            var data = parse.GetValue(app.DataOption)
                ?? throw new CliUsageException("backup reads the data directory itself: --data <dir> (the server's Crm:DataPath; it may keep running).");
            var path = parse.GetValue(file)!.FullName;
            var events = SqliteBackup.Backup(Path.GetFullPath(data), path);
            app.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"Backed up {Markup.Escape(Path.GetFullPath(data))} to {Markup.Escape(path)}: [green]{events:N0} events[/] ({new FileInfo(path).Length / 1024.0 / 1024.0:0.0} MiB)"));
            return Task.FromResult(0);
        }));
        return command;
    }

    public static Command CreateRestore(CliApp app)
    {
        var file = new Argument<FileInfo>("file") { Description = "A file written by crm backup." };
        var command = new Command("restore", "Restores a backup into a new, empty data directory (never over existing data, never into one a server holds).") { file };
        command.SetAction(app.Guard((parse, _) =>
        {
            var data = parse.GetValue(app.DataOption) ?? throw new CliUsageException("restore needs the new data directory: --data <dir>.");
            var target = Path.GetFullPath(data);
            if (Directory.Exists(target)) DataDirectoryGuard.EnsureNotHeld(target);
            try
            {
                var events = SqliteBackup.Restore(parse.GetValue(file)!.FullName, target);
                app.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"Restored [green]{events:N0} events[/] into {Markup.Escape(target)}; start a server with Crm:DataPath={Markup.Escape(target)}, or use --data {Markup.Escape(target)}."));
                return Task.FromResult(0);
            }
            catch (RestoreTargetException ex)
            {
                return Task.FromResult(app.Error(ex.Message, CliApp.Refused));
            }
        }));
        return command;
    }
}
