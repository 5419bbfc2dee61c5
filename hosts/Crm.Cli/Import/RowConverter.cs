using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Domain;

namespace Crm.Cli.Import;

/// <summary>A CSV row as a record: its fields, the id it is imported under, and the key that identifies it.</summary>
internal sealed record ImportRow(long Line, string Id, string Key, JsonObject Fields)
{
    /// <summary>Earlier lines of the file merged into this row (the same record).</summary>
    public IReadOnlyList<long> MergedLines { get; init; } = [];
}

/// <summary>
/// Turns CSV cells into record fields typed for the engine (numbers, booleans, lists), and picks the record's identity:
/// the <c>id</c> column, else the normalised email (contacts), the external id, the name (accounts), or the row's
/// content. A row identified by a value the engine keeps unique (email, external id) gets a new time-ordered id: on a
/// re-run the engine finds the record holding that value. Any other identity always gives the same id, derived from
/// it, so a re-run of a file finds the records it made either way.
/// Values are not validated here: the engine's pipeline does that, and its reasons are what a rejected row reports.
/// </summary>
internal static class RowConverter
{
    private static readonly char[] ListSeparators = [';', '|'];

    /// <summary>The fields of a row; empty cells are left out (an import never clears a stored value).</summary>
    public static JsonObject Fields(ColumnMap map, IReadOnlyList<string> cells)
    {
        var fields = new JsonObject();
        foreach (var column in map.Columns)
        {
            var cell = column.Index < cells.Count ? cells[column.Index].Trim() : "";
            if (cell.Length == 0) continue;
            var value = Convert(cell, column.Kind);
            if (column.Field.StartsWith("custom.", StringComparison.Ordinal))
            {
                if (fields["custom"] is not JsonObject custom) fields["custom"] = custom = new JsonObject();
                custom[column.Field[7..]] = value;
            }
            else
            {
                fields[column.Field] = value;
            }
        }

        return fields;
    }

    /// <summary>The identity of a row and the record id it gives; removes an <c>id</c> field from <paramref name="fields"/>.</summary>
    public static (string Id, string Key) Identity(string type, JsonObject fields)
    {
        if (fields["id"] is JsonValue idValue && idValue.GetValueKind() == JsonValueKind.String)
        {
            var id = idValue.GetValue<string>();
            fields.Remove("id");
            if (RecordIds.IsValid(id)) return (id, "id:" + id);
            throw new ValidationException("id", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        fields.Remove("id");
        // Time-ordered ids keep a large import's inserts at the end of the store's indexes (ids derived from a hash
        // would land all over them); the unique email or external id is what finds the record again.
        if (UniqueKey(type, name => Text(fields, name)) is { } unique) return (RecordIds.New(), unique);

        string key;
        if (type == RecordTypes.Account && Text(fields, "name") is { } name)
        {
            key = "name:" + string.Join(' ', name.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        else
        {
            key = "row:" + Canonical(fields);
        }

        return (RecordIds.FromKey($"import:{type}:{key}"), key);
    }

    /// <summary>
    /// The identity key <see cref="Identity"/> would give the row, read from its cells without building its fields;
    /// null when the row has no id, email or external id (its fields must tell), or its id is not valid.
    /// </summary>
    public static string? IdentityKey(string type, ColumnMap map, IReadOnlyList<string> cells)
    {
        if (Cell(map, cells, "id") is { } id) return RecordIds.IsValid(id) ? "id:" + id : null;
        return UniqueKey(type, field => Cell(map, cells, field));
    }

    // The key of a row known by a value the engine keeps unique: a contact's email, else the external id.
    private static string? UniqueKey(string type, Func<string, string?> value) =>
        type == RecordTypes.Contact && value("email") is { } email ? "email:" + email.ToLowerInvariant()
        : value("externalId") is { } externalId ? "externalId:" + externalId
        : null;

    // The last non-empty, trimmed cell mapped to the field, as Fields would keep it.
    private static string? Cell(ColumnMap map, IReadOnlyList<string> cells, string field)
    {
        string? value = null;
        foreach (var column in map.Columns)
        {
            if (column.Field == field && column.Index < cells.Count && cells[column.Index].Trim() is { Length: > 0 } cell) value = cell;
        }

        return value;
    }

    private static JsonNode Convert(string cell, FieldKind kind)
    {
        switch (kind)
        {
            case FieldKind.Number or FieldKind.Percent or FieldKind.Integer:
                var number = cell.TrimEnd('%').Trim();
                return decimal.TryParse(number, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(cell);
            case FieldKind.Bool:
                return cell.ToLowerInvariant() switch
                {
                    "true" or "yes" or "y" or "1" => JsonValue.Create(true),
                    "false" or "no" or "n" or "0" => JsonValue.Create(false),
                    _ => JsonValue.Create(cell),
                };
            case FieldKind.Tags or FieldKind.EmailList or FieldKind.PhoneList or FieldKind.MultiChoice:
                if (cell.StartsWith('['))
                {
                    try
                    {
                        if (JsonNode.Parse(cell) is JsonArray array) return array;
                    }
                    catch (JsonException)
                    {
                        // Not JSON: read it as a separated list.
                    }
                }

                return new JsonArray([.. cell.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(s => (JsonNode)JsonValue.Create(s))]);
            default:
                return JsonValue.Create(cell);
        }
    }

    private static string? Text(JsonObject fields, string name) =>
        fields[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Trim() is { Length: > 0 } s ? s : null;

    private static string Canonical(JsonObject fields) =>
        string.Join('\u001f', fields.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value?.ToJsonString()));
}
