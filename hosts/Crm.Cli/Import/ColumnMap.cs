using Crm.Engine;
using Crm.Engine.Domain;

namespace Crm.Cli.Import;

/// <summary>One CSV column and the record field it fills (<c>custom.name</c> for a custom field).</summary>
internal sealed record MappedColumn(int Index, string Header, string Field, FieldKind Kind);

/// <summary>
/// Maps CSV headers to record fields: explicit <c>--map "Header=field"</c> first, then by name (case, spaces, dashes and
/// underscores do not matter) and common synonyms ("E-mail", "First Name", "Company", "Surname", …).
/// </summary>
internal sealed class ColumnMap
{
    private static readonly Dictionary<string, Dictionary<string, string>> Synonyms = new()
    {
        [RecordTypes.Contact] = Table(
            ("email", ["email", "emailaddress", "mail", "emailid"]),
            ("firstName", ["firstname", "first", "givenname", "forename"]),
            ("lastName", ["lastname", "last", "surname", "familyname"]),
            ("phone", ["phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "cell"]),
            ("company", ["company", "companyname", "organization", "organisation", "employer"]),
            ("title", ["title", "jobtitle", "position", "role"]),
            ("lifecycleStage", ["lifecyclestage", "lifecycle", "stage"]),
            ("source", ["source", "leadsource"])),
        [RecordTypes.Account] = Table(
            ("name", ["name", "accountname", "company", "companyname", "organization", "organisation"]),
            ("domain", ["domain", "domainname"]),
            ("website", ["website", "url", "web", "homepage"]),
            ("phone", ["phone", "phonenumber", "telephone", "tel"]),
            ("size", ["size", "employees", "headcount"])),
        [RecordTypes.Deal] = Table(
            ("name", ["name", "dealname", "deal", "opportunity", "opportunityname"]),
            ("amount", ["amount", "value", "dealvalue"]),
            ("closeDate", ["closedate", "expectedclosedate", "close"]),
            ("stage", ["stage", "dealstage"])),
    };

    private static readonly Dictionary<string, string> Common = Table(
        ("id", ["id", "recordid"]),
        ("externalId", ["externalid", "extid", "externalref", "externalreference"]),
        ("tags", ["tags", "labels", "tag"]),
        ("ownerId", ["ownerid", "owner"]));

    private ColumnMap(IReadOnlyList<MappedColumn> columns, IReadOnlyList<string> ignored)
    {
        Columns = columns;
        Ignored = ignored;
    }

    /// <summary>The mapped columns, in CSV order.</summary>
    public IReadOnlyList<MappedColumn> Columns { get; }

    /// <summary>Headers that map to no field (their values are not imported).</summary>
    public IReadOnlyList<string> Ignored { get; }

    /// <summary>Which column fills <paramref name="field"/>, or null.</summary>
    public MappedColumn? For(string field) => Columns.FirstOrDefault(c => c.Field == field);

    /// <summary>
    /// Builds the map. <paramref name="explicitMap"/> holds <c>Header=field</c> pairs (a field of <c>-</c> skips the column);
    /// <paramref name="customFields"/> are the tenant's custom fields of the type (name, type name).
    /// </summary>
    public static ColumnMap Build(string type, IReadOnlyList<string> headers, IReadOnlyList<string> explicitMap,
        IReadOnlyList<(string Name, string Type)> customFields)
    {
        var schema = RecordSchema.For(type);
        var custom = customFields.ToDictionary(f => f.Name, f => CustomKind(f.Type), StringComparer.Ordinal);
        var explicitFields = ParseExplicit(explicitMap, headers);
        var synonyms = Synonyms.GetValueOrDefault(type) ?? [];
        var columns = new List<MappedColumn>();
        var ignored = new List<string>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            string? field;
            if (explicitFields.TryGetValue(header.Trim(), out var chosen))
            {
                field = chosen == "-" ? null : chosen;
            }
            else
            {
                field = AutoField(header, schema, synonyms, custom);
            }

            if (field is null || !taken.Add(field))
            {
                ignored.Add(header);
                continue;
            }

            columns.Add(new MappedColumn(i, header, field, KindOf(field, schema, custom)));
        }

        return new ColumnMap(columns, ignored);
    }

    private static Dictionary<string, string> ParseExplicit(IReadOnlyList<string> pairs, IReadOnlyList<string> headers)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs)
        {
            var eq = pair.LastIndexOf('=');
            if (eq <= 0 || eq == pair.Length - 1)
            {
                throw new ImportSetupException($"--map '{pair}' is not of the form \"CSV header=field\" (e.g. \"Email Address=email\", \"Region=custom.region\", \"Notes=-\" to skip).");
            }

            var header = pair[..eq].Trim();
            if (!headers.Any(h => string.Equals(h.Trim(), header, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ImportSetupException($"--map names the column '{header}', which the file does not have (its columns: {string.Join(", ", headers)}).");
            }

            map[header] = pair[(eq + 1)..].Trim();
        }

        return map;
    }

    private static string? AutoField(string header, RecordSchema schema, Dictionary<string, string> synonyms, Dictionary<string, FieldKind> custom)
    {
        var trimmed = header.Trim();
        if (trimmed.StartsWith("custom.", StringComparison.OrdinalIgnoreCase) && trimmed.Length > 7)
        {
            var name = trimmed[7..];
            return "custom." + (custom.Keys.FirstOrDefault(k => Normalize(k) == Normalize(name)) ?? name);
        }

        var key = Normalize(trimmed);
        if (synonyms.TryGetValue(key, out var field) || Common.TryGetValue(key, out field)) return field;
        var builtIn = schema.Fields.FirstOrDefault(f => Normalize(f.Name) == key && !schema.Derived.Contains(f.Name));
        if (builtIn is not null) return builtIn.Name;
        var customName = custom.Keys.FirstOrDefault(k => Normalize(k) == key);
        return customName is null ? null : "custom." + customName;
    }

    private static FieldKind KindOf(string field, RecordSchema schema, Dictionary<string, FieldKind> custom)
    {
        if (field.StartsWith("custom.", StringComparison.Ordinal))
        {
            return custom.TryGetValue(field[7..], out var kind) ? kind : FieldKind.Text;
        }

        return schema.Find(field)?.Kind ?? FieldKind.Text;
    }

    private static FieldKind CustomKind(string type) => type.ToLowerInvariant() switch
    {
        "number" => FieldKind.Number,
        "bool" or "boolean" => FieldKind.Bool,
        "multichoice" => FieldKind.MultiChoice,
        _ => FieldKind.Text,
    };

    /// <summary>Lower-case letters and digits only: "E-mail Address" → "emailaddress".</summary>
    internal static string Normalize(string header) =>
        new([.. header.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);

    private static Dictionary<string, string> Table(params (string Field, string[] Names)[] entries)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (field, names) in entries)
        {
            foreach (var name in names) map[name] = field;
        }

        return map;
    }
}

/// <summary>The import cannot start: a bad <c>--map</c>, an unreadable file, a file with no header.</summary>
internal sealed class ImportSetupException(string message) : Exception(message);
