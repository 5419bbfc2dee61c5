using System.Text;
using System.Text.Json;
using Crm.Engine.Filtering;

namespace Crm.Engine.Storage;

/// <summary>
/// Translates a <see cref="Filter"/> tree into a parameterised SQL condition. The walk over the tree, its depth limit,
/// the comparisons with record columns (<c>createdAt</c>, <c>updatedAt</c>, <c>id</c>, <c>version</c>) and the errors
/// are the same for every store; a store's dialect writes the comparisons with JSON fields, its boolean literals and
/// its parameters. Every comparison yields true or false, never NULL, so <c>not</c> is an exact complement even for
/// missing fields. Numbers compare numerically, strings as text, and a number never matches a string.
/// </summary>
internal abstract class FilterSqlWriter
{
    private const int MaxDepth = 32;

    /// <summary>What a record column holds: times as UTC ticks, the id as text, the version as an integer.</summary>
    internal enum ColumnKind
    {
        Time, Text, Integer,
    }

    /// <param name="trueLiteral">The dialect's literal for true.</param>
    /// <param name="falseLiteral">The dialect's literal for false.</param>
    protected FilterSqlWriter(string trueLiteral, string falseLiteral)
    {
        True = trueLiteral;
        False = falseLiteral;
    }

    /// <summary>The dialect's literal for true.</summary>
    protected string True { get; }

    /// <summary>The alias of the record row the comparison being written reads: <c>r</c>, or the linked account's row.</summary>
    protected string Alias { get; private set; } = "r";

    /// <summary>The records table as the statement names it.</summary>
    protected abstract string RecordsTable { get; }

    /// <summary>A top-level string field of the JSON of the row aliased <paramref name="alias"/>, as SQL text (NULL when missing).</summary>
    protected abstract string TextField(string alias, string field);

    /// <summary>The condition that the row aliased <paramref name="alias"/> is not deleted.</summary>
    protected abstract string Live(string alias);

    /// <summary>The prefix of fields read from the record's linked account (its <c>accountId</c>): <c>account.industry</c>.</summary>
    public const string AccountPrefix = "account.";

    /// <summary>The dialect's literal for false.</summary>
    protected string False { get; }

    /// <summary>The column behind a record field that is not part of the JSON, or false for a JSON field.</summary>
    public static bool TryColumn(string? field, out string column, out ColumnKind kind)
    {
        (column, kind) = field switch
        {
            "createdAt" => ("r.created_at", ColumnKind.Time),
            "updatedAt" => ("r.updated_at", ColumnKind.Time),
            "id" => ("r.id", ColumnKind.Text),
            "version" => ("r.version", ColumnKind.Integer),
            _ => ("", ColumnKind.Text),
        };
        return column.Length > 0;
    }

    public void Append(StringBuilder sql, Filter filter) => Append(sql, filter, 0);

    /// <summary>A comparison with a field of the row's JSON.</summary>
    protected abstract void AppendFieldComparison(StringBuilder sql, Comparison comparison);

    /// <summary>Adds a record column's value (a time's ticks as long, a number as <see cref="ColumnNumber"/> makes it, or a string) and returns its parameter name.</summary>
    protected abstract string AddColumnValue(object value);

    /// <summary>A JSON number compared with the integer column, in the form the dialect binds it.</summary>
    protected abstract object ColumnNumber(JsonElement element);

    /// <summary>The column as it is ordered against a value (a dialect may fix a collation for text).</summary>
    protected virtual string OrderedColumn(string column, ColumnKind kind) => column;

    /// <summary>Whether the text column holds the lower-cased needle, case-insensitively.</summary>
    protected abstract void AppendColumnContains(StringBuilder sql, string column, string lowerNeedle);

    /// <summary>Whether the text column starts with the prefix, case-insensitively; the pattern is escaped with <see cref="EscapeLike"/> and ends in <c>%</c>.</summary>
    protected abstract void AppendColumnStartsWith(StringBuilder sql, string column, string pattern);

    private void Append(StringBuilder sql, Filter filter, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"The filter is nested deeper than {MaxDepth} levels.", nameof(filter));
        }

        switch (filter)
        {
            case AndFilter and:
                AppendAll(sql, and.Parts, " AND ", True, depth);
                break;
            case OrFilter or:
                AppendAll(sql, or.Parts, " OR ", False, depth);
                break;
            case NotFilter not:
                sql.Append("(NOT ");
                Append(sql, not.Inner ?? throw new ArgumentException("A 'not' filter needs an inner filter.", nameof(filter)), depth + 1);
                sql.Append(')');
                break;
            case Comparison comparison when comparison.Field is { } linked && linked.StartsWith(AccountPrefix, StringComparison.Ordinal):
                AppendLinkedAccount(sql, comparison with { Field = linked[AccountPrefix.Length..] });
                break;
            case Comparison comparison:
                if (TryColumn(comparison.Field, out var column, out var kind))
                {
                    AppendColumnComparison(sql, comparison, Alias == "r" ? column : Alias + column[1..], kind);
                }
                else
                {
                    AppendFieldComparison(sql, comparison);
                }

                break;
            default:
                throw new ArgumentException($"Unsupported filter '{filter?.GetType().Name ?? "null"}'.", nameof(filter));
        }
    }

    /// <summary>
    /// A comparison with a field of the record's linked account (the live account its <c>accountId</c> names). A record
    /// without one is treated as having the field missing, so <c>not</c> stays the exact complement.
    /// </summary>
    private void AppendLinkedAccount(StringBuilder sql, Comparison inner)
    {
        if (Alias != "r" || inner.Field.StartsWith(AccountPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Field 'account.{inner.Field}': a linked account's own links cannot be followed.", nameof(inner));
        }

        var account = $"FROM {RecordsTable} la WHERE la.tenant = r.tenant AND la.type = 'account' AND la.id = {TextField("r", "accountId")} AND {Live("la")}";
        sql.Append("(EXISTS (SELECT 1 ").Append(account).Append(" AND ");
        Alias = "la";
        try
        {
            Append(sql, inner, 0);
        }
        finally
        {
            Alias = "r";
        }

        sql.Append(')');
        if (MatchesMissing(inner)) sql.Append(" OR NOT EXISTS (SELECT 1 ").Append(account).Append(')');
        sql.Append(')');
    }

    /// <summary>Whether the comparison holds for a field that is missing: <c>eq null</c>, <c>ne</c> a value, <c>in</c> a list holding null.</summary>
    private static bool MatchesMissing(Comparison comparison)
    {
        if (comparison.Operator is not (FilterOperator.Eq or FilterOperator.Ne or FilterOperator.In)) return false;
        using var document = JsonDocument.Parse(comparison.ValueJson ?? "null");
        var value = document.RootElement;
        return comparison.Operator switch
        {
            FilterOperator.Eq => value.ValueKind == JsonValueKind.Null,
            FilterOperator.Ne => value.ValueKind != JsonValueKind.Null,
            _ => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().Any(v => v.ValueKind == JsonValueKind.Null),
        };
    }

    private void AppendAll(StringBuilder sql, IReadOnlyList<Filter> parts, string separator, string whenEmpty, int depth)
    {
        if (parts is null || parts.Count == 0)
        {
            sql.Append(whenEmpty);
            return;
        }

        sql.Append('(');
        for (var i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                sql.Append(separator);
            }

            Append(sql, parts[i], depth + 1);
        }

        sql.Append(')');
    }

    /// <summary>
    /// A JSON field equal to any of the comparison's values: false for none, else the dialect's equalities joined with
    /// OR.
    /// </summary>
    protected void AppendAnyOf(StringBuilder sql, Comparison comparison, Action<JsonElement> appendEqual)
    {
        using var document = ParseArray(comparison);
        if (document.RootElement.GetArrayLength() == 0)
        {
            sql.Append(False);
            return;
        }

        sql.Append('(');
        var first = true;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            if (!first)
            {
                sql.Append(" OR ");
            }

            first = false;
            appendEqual(element);
        }

        sql.Append(')');
    }

    /// <summary>
    /// A comparison with a record column. The value is converted to the column's stored form (a time to UTC ticks),
    /// so the column is compared as it is and can use an index. Columns are never NULL.
    /// </summary>
    private void AppendColumnComparison(StringBuilder sql, Comparison comparison, string column, ColumnKind kind)
    {
        switch (comparison.Operator)
        {
            case FilterOperator.Eq or FilterOperator.Ne:
            {
                var value = ColumnValue(comparison, kind, Single(comparison));
                var equal = comparison.Operator == FilterOperator.Eq;
                if (value is null or Mismatch)
                {
                    sql.Append(equal ? False : True);
                    return;
                }

                sql.Append('(').Append(column).Append(equal ? " = " : " <> ").Append(AddColumnValue(value)).Append(')');
                return;
            }

            case FilterOperator.Lt or FilterOperator.Le or FilterOperator.Gt or FilterOperator.Ge:
            {
                var element = Single(comparison);
                if (element.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                {
                    throw new ArgumentException($"Field '{comparison.Field}': '{comparison.Operator}' needs a number or a string.", nameof(comparison));
                }

                var value = ColumnValue(comparison, kind, element);
                if (value is Mismatch)
                {
                    sql.Append(False);
                    return;
                }

                sql.Append('(').Append(OrderedColumn(column, kind)).Append(Operator(comparison.Operator)).Append(AddColumnValue(value!)).Append(')');
                return;
            }

            case FilterOperator.In:
            {
                using var document = ParseArray(comparison);
                var values = document.RootElement.EnumerateArray()
                    .Select(element => ColumnValue(comparison, kind, element))
                    .Where(value => value is not (null or Mismatch))
                    .ToList();
                if (values.Count == 0)
                {
                    sql.Append(False);
                    return;
                }

                sql.Append('(').Append(column).Append(" IN (");
                for (var i = 0; i < values.Count; i++)
                {
                    sql.Append(i > 0 ? ", " : "").Append(AddColumnValue(values[i]!));
                }

                sql.Append("))");
                return;
            }

            case FilterOperator.Contains or FilterOperator.StartsWith when kind != ColumnKind.Text:
                throw new ArgumentException(
                    $"Field '{comparison.Field}': '{comparison.Operator}' does not apply; compare it with eq, ne, lt, le, gt, ge or in.", nameof(comparison));

            case FilterOperator.Contains:
            {
                var element = Single(comparison);
                switch (element.ValueKind)
                {
                    case JsonValueKind.String:
                        AppendColumnContains(sql, column, element.GetString()!.ToLowerInvariant());
                        return;
                    case JsonValueKind.Number:
                        sql.Append(False);
                        return;
                    default:
                        throw new ArgumentException($"Field '{comparison.Field}': 'contains' needs a string or a number.", nameof(comparison));
                }
            }

            case FilterOperator.StartsWith:
            {
                var element = Single(comparison);
                if (element.ValueKind != JsonValueKind.String)
                {
                    throw new ArgumentException($"Field '{comparison.Field}': 'startsWith' needs a string value.", nameof(comparison));
                }

                AppendColumnStartsWith(sql, column, EscapeLike(element.GetString()!) + "%");
                return;
            }

            case FilterOperator.Exists:
                sql.Append(True);
                return;

            default:
                throw new ArgumentException($"Field '{comparison.Field}': unsupported operator '{comparison.Operator}'.", nameof(comparison));
        }
    }

    /// <summary>A value of another type than the column's: it matches no row, as a number never matches a string.</summary>
    private sealed class Mismatch
    {
        public static readonly Mismatch Value = new();
    }

    /// <summary>
    /// The value in the column's stored form: null for JSON null, <see cref="Mismatch"/> for a value of another type.
    /// A time column takes only strings naming a time, and says so when given anything else.
    /// </summary>
    private object? ColumnValue(Comparison comparison, ColumnKind kind, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        switch (kind)
        {
            case ColumnKind.Time:
                if (element.ValueKind == JsonValueKind.String && FilterLanguage.TryParseTime(element.GetString()!, out var time))
                {
                    return time.UtcTicks;
                }

                throw new ArgumentException(
                    $"Field '{comparison.Field}': {element.GetRawText()} is not a date (yyyy-MM-dd) or an ISO 8601 date and time.", nameof(comparison));
            case ColumnKind.Integer:
                return element.ValueKind == JsonValueKind.Number ? ColumnNumber(element) : Mismatch.Value;
            default:
                return element.ValueKind == JsonValueKind.String ? element.GetString() : Mismatch.Value;
        }
    }

    /// <summary>The SQL operator of an ordering comparison, with spaces around it.</summary>
    protected static string Operator(FilterOperator op) => op switch
    {
        FilterOperator.Lt => " < ",
        FilterOperator.Le => " <= ",
        FilterOperator.Gt => " > ",
        _ => " >= ",
    };

    /// <summary>The comparison's single value; an array or object is refused.</summary>
    protected static JsonElement Single(Comparison comparison)
    {
        using var document = Parse(comparison);
        var element = document.RootElement;
        if (element.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
        {
            throw new ArgumentException(
                $"Field '{comparison.Field}': '{comparison.Operator}' compares with a single value, not {element.ValueKind.ToString().ToLowerInvariant()} {element.GetRawText()}.",
                nameof(comparison));
        }

        return element.Clone();
    }

    /// <summary>The comparison's value, parsed; refused with the field's name when it is not JSON.</summary>
    protected static JsonDocument Parse(Comparison comparison)
    {
        try
        {
            return JsonDocument.Parse(comparison.ValueJson ?? "null");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Field '{comparison.Field}': the value is not valid JSON ({ex.Message}).", nameof(comparison), ex);
        }
    }

    /// <summary>The comparison's value, which must be a JSON array (for <c>in</c>).</summary>
    private static JsonDocument ParseArray(Comparison comparison)
    {
        var document = Parse(comparison);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            document.Dispose();
            throw new ArgumentException($"Field '{comparison.Field}': 'in' needs a JSON array of values.", nameof(comparison));
        }

        return document;
    }

    /// <summary>Escapes <c>\</c>, <c>%</c> and <c>_</c> for a LIKE pattern with <c>\</c> as its escape character.</summary>
    protected static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
}
