using System.Globalization;
using CsvHelper;
using Spectre.Console;

namespace Crm.Cli.Import;

/// <summary>The end of an import: counts, the column mapping, and the rejected rows with their lines and reasons.</summary>
internal static class ImportReport
{
    private const int RejectsShown = 50;

    public static void Write(IAnsiConsole console, string type, string target, ImportOutcome outcome)
    {
        var mapping = string.Join(", ", outcome.Columns.Select(c => $"{c.Header} → {c.Field}"));
        console.MarkupLine($"[grey]Columns:[/] {Markup.Escape(mapping)}");
        if (outcome.IgnoredColumns.Count > 0)
        {
            console.MarkupLine($"[yellow]Not imported (no matching field; use --map \"Header=field\"):[/] {Markup.Escape(string.Join(", ", outcome.IgnoredColumns))}");
        }

        if (outcome.Rejects.Count > 0)
        {
            var table = new Table().Title($"Rejected rows ({outcome.Rejects.Count:N0})").AddColumn("Line").AddColumn("Reason");
            foreach (var reject in outcome.Rejects.Take(RejectsShown))
            {
                table.AddRow(reject.Line.ToString(CultureInfo.InvariantCulture), Markup.Escape(reject.Reason));
            }

            console.Write(table);
            if (outcome.Rejects.Count > RejectsShown)
            {
                console.MarkupLine($"[grey]… and {outcome.Rejects.Count - RejectsShown:N0} more; --rejects <file.csv> writes them all.[/]");
            }
        }

        var seconds = Math.Max(outcome.Elapsed.TotalSeconds, 0.001);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Imported {type}s into {Markup.Escape(target)}: [green]created {outcome.Created}[/], [blue]updated {outcome.Updated}[/], unchanged {outcome.Unchanged}, merged {outcome.Merged}, " +
            $"[red]rejected {outcome.Rejected}[/], blank {outcome.Blank} — {outcome.Rows} rows in {outcome.Elapsed.TotalSeconds:0.0} s ({outcome.Rows / seconds:N0} rows/s)"));
    }

    /// <summary>Writes the rejected rows as CSV: <c>line</c>, <c>reason</c>, then the row's own columns.</summary>
    public static async Task WriteRejectsAsync(string path, ImportOutcome outcome, CancellationToken cancellationToken)
    {
        await using var csv = CsvWriter.Create(File.Create(path), new CsvWriterOptions { ValidateFieldCount = false });
        csv.WriteField("line");
        csv.WriteField("reason");
        foreach (var header in outcome.Headers) csv.WriteField(header);
        await csv.EndRecordAsync(cancellationToken);
        foreach (var reject in outcome.Rejects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            csv.WriteField(reject.Line.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(reject.Reason);
            foreach (var cell in reject.Cells) csv.WriteField(cell);
            await csv.EndRecordAsync(cancellationToken);
        }
    }
}
