using System.Text.RegularExpressions;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// A record field named in a filter or sort: dotted camelCase (<c>lastName</c>, <c>custom.region</c>). Only paths of
/// that shape are accepted, which is what makes it safe to write them into SQL as jsonb paths.
/// </summary>
internal static partial class FieldPath
{
    private const int MaxLength = 200;

    /// <summary>The jsonb value of the field in the record row aliased <paramref name="alias"/>; SQL NULL when the field is missing.</summary>
    public static string Extract(string field, string alias = "r") => $"({alias}.data #> {PathLiteral(field)})";

    /// <summary>The field's jsonb path as an SQL text-array literal, e.g. <c>'{custom,region}'</c>.</summary>
    public static string PathLiteral(string field)
    {
        if (field is null || field.Length > MaxLength || !Shape().IsMatch(field))
        {
            throw new ArgumentException(
                $"Field '{field}' is not a valid field path: use dotted names of letters, digits and underscores, e.g. 'lastName' or 'custom.region'.",
                nameof(field));
        }

        return "'{" + field.Replace('.', ',') + "}'";
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
