using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Cli.Targets;
using Crm.Engine;
using Crm.Engine.Domain;
using CsvHelper;
using Spectre.Console;

namespace Crm.Cli.Export;

/// <summary><c>crm export contacts|accounts|deals --out file.csv [--filter …]</c>: every matching record, one row each, re-importable.</summary>
internal static class ExportCommand
{
    /// <summary>Fields the engine keeps up to date itself; an import could not set them.</summary>
    private static readonly HashSet<string> EngineManaged = ["lastActivityAt", "lastAssignedId"];

    public static Command Create(CliApp app)
    {
        var kind = new Argument<string>("type") { Description = "contacts, accounts or deals" };
        kind.AcceptOnlyFromAmong("contacts", "accounts", "deals");
        var output = new Option<FileInfo>("--out") { Description = "The CSV file to write.", Required = true };
        var filter = new Option<string?>("--filter") { Description = "Only records matching a filter, e.g. 'lifecycleStage eq \"lead\"' (docs/filters.md)." };
        var command = new Command("export", "Exports records to CSV: an id column, then every field (custom fields as custom.name); lists joined with ';'.")
        {
            kind, output, filter,
        };
        command.SetAction(app.Guard(async (parse, ct) =>
        {
            var type = parse.GetValue(kind)!.TrimEnd('s');
            var path = parse.GetValue(output)!;
            await using var target = await app.Target(parse).OpenAsync(ct);
            var clock = Stopwatch.StartNew();
            var count = await ExportAsync(target, type, parse.GetValue(filter), path.FullName, ct);
            app.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"Exported [green]{count}[/] {type}s from {Markup.Escape(target.Description)} to {Markup.Escape(path.FullName)} in {clock.Elapsed.TotalSeconds:0.0} s"));
            return 0;
        }));
        return command;
    }

    /// <summary>Writes the records to <paramref name="path"/> and answers how many.</summary>
    public static async Task<long> ExportAsync(ICrmTarget target, string type, string? filter, string path, CancellationToken cancellationToken)
    {
        var schema = RecordSchema.For(type);
        var columns = new List<string> { "id" };
        columns.AddRange(schema.Fields.Select(f => f.Name).Where(n => !schema.Derived.Contains(n) && !EngineManaged.Contains(n)));
        columns.AddRange((await target.CustomFieldsAsync(type, cancellationToken)).Select(f => "custom." + f.Name));
        var temp = path + ".partial";
        long count = 0;
        await using (var csv = CsvWriter.Create(File.Create(temp)))
        {
            foreach (var column in columns) csv.WriteField(column);
            await csv.EndRecordAsync(cancellationToken);
            await foreach (var record in target.ListAsync(type, filter, cancellationToken))
            {
                foreach (var column in columns)
                {
                    var value = column.StartsWith("custom.", StringComparison.Ordinal)
                        ? (record["custom"] as JsonObject)?[column[7..]]
                        : record[column];
                    csv.WriteField(Cell(value));
                }

                await csv.EndRecordAsync(cancellationToken);
                count++;
            }
        }

        // A half-written export never takes the place of a good file.
        File.Move(temp, path, overwrite: true);
        return count;
    }

    private static string Cell(JsonNode? value) => value switch
    {
        null => "",
        JsonArray array when array.All(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String) => string.Join(';', array.Select(i => i!.GetValue<string>())),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "true" : "false",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => value.ToJsonString(),
    };
}
