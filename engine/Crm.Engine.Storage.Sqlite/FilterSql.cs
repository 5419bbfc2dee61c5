using System.Globalization;
using System.Text;
using System.Text.Json;
using Crm.Engine.Filtering;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Translates a <see cref="Filter"/> tree into a parameterised SQL condition over the row's JSON
/// (<c>json_extract(r.data, '$.field')</c>) and its record columns (<c>createdAt</c>, <c>updatedAt</c>, <c>id</c>,
/// <c>version</c>). Every comparison yields 0 or 1, never NULL, so <c>not</c> is an exact complement even for missing
/// fields. Numbers compare numerically, strings as text, and a number never matches a string.
/// </summary>
internal static class FilterSql
{
    private const int MaxDepth = 32;

    /// <summary>What a record column holds: times as UTC ticks, the id as text, the version as an integer.</summary>
    internal enum ColumnKind
    {
        Time, Text, Integer,
    }

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

    public static void Append(StringBuilder sql, Filter filter, SqlParameters parameters) => Append(sql, filter, parameters, 0);

    private static void Append(StringBuilder sql, Filter filter, SqlParameters parameters, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"The filter is nested deeper than {MaxDepth} levels.", nameof(filter));
        }

        switch (filter)
        {
            case AndFilter and:
                AppendAll(sql, and.Parts, " AND ", "1", parameters, depth);
                break;
            case OrFilter or:
                AppendAll(sql, or.Parts, " OR ", "0", parameters, depth);
                break;
            case NotFilter not:
                sql.Append("(NOT ");
                Append(sql, not.Inner ?? throw new ArgumentException("A 'not' filter needs an inner filter.", nameof(filter)), parameters, depth + 1);
                sql.Append(')');
                break;
            case Comparison comparison:
                AppendComparison(sql, comparison, parameters);
                break;
            default:
                throw new ArgumentException($"Unsupported filter '{filter?.GetType().Name ?? "null"}'.", nameof(filter));
        }
    }

    private static void AppendAll(StringBuilder sql, IReadOnlyList<Filter> parts, string separator, string whenEmpty, SqlParameters parameters, int depth)
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

            Append(sql, parts[i], parameters, depth + 1);
        }

        sql.Append(')');
    }

    private static void AppendComparison(StringBuilder sql, Comparison comparison, SqlParameters parameters)
    {
        var field = comparison.Field;
        if (TryColumn(field, out var column, out var kind))
        {
            AppendColumnComparison(sql, comparison, column, kind, parameters);
            return;
        }

        var path = FieldPath.JsonPath(field);
        var x = $"json_extract(r.data, {path})";
        switch (comparison.Operator)
        {
            case FilterOperator.Eq:
                sql.Append('(').Append(x).Append(" IS ").Append(parameters.Add(Scalar(comparison))).Append(')');
                break;
            case FilterOperator.Ne:
                sql.Append('(').Append(x).Append(" IS NOT ").Append(parameters.Add(Scalar(comparison))).Append(')');
                break;
            case FilterOperator.Lt or FilterOperator.Le or FilterOperator.Gt or FilterOperator.Ge:
                AppendOrdering(sql, comparison, x, parameters);
                break;
            case FilterOperator.In:
                AppendIn(sql, comparison, x, parameters);
                break;
            case FilterOperator.Contains:
                AppendContains(sql, comparison, path, x, parameters);
                break;
            case FilterOperator.StartsWith:
                var prefix = Scalar(comparison) as string
                    ?? throw new ArgumentException($"Field '{field}': 'startsWith' needs a string value.", nameof(comparison));
                sql.Append("IFNULL(").Append(x).Append(" LIKE ").Append(parameters.Add(EscapeLike(prefix) + "%")).Append(" ESCAPE '\\', 0)");
                break;
            case FilterOperator.Exists:
                sql.Append('(').Append(x).Append(" IS NOT NULL)");
                break;
            default:
                throw new ArgumentException($"Field '{field}': unsupported operator '{comparison.Operator}'.", nameof(comparison));
        }
    }

    private static void AppendOrdering(StringBuilder sql, Comparison comparison, string x, SqlParameters parameters)
    {
        var value = Scalar(comparison);
        var typeGuard = value switch
        {
            string => "typeof(" + x + ") = 'text'",
            long or double => "typeof(" + x + ") IN ('integer', 'real')",
            _ => throw new ArgumentException($"Field '{comparison.Field}': '{comparison.Operator}' needs a number or a string.", nameof(comparison)),
        };
        var op = comparison.Operator switch
        {
            FilterOperator.Lt => " < ",
            FilterOperator.Le => " <= ",
            FilterOperator.Gt => " > ",
            _ => " >= ",
        };
        sql.Append('(').Append(typeGuard).Append(" AND ").Append(x).Append(op).Append(parameters.Add(value)).Append(')');
    }

    private static void AppendIn(StringBuilder sql, Comparison comparison, string x, SqlParameters parameters)
    {
        using var document = Parse(comparison);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException($"Field '{comparison.Field}': 'in' needs a JSON array of values.", nameof(comparison));
        }

        if (document.RootElement.GetArrayLength() == 0)
        {
            sql.Append('0');
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
            sql.Append(x).Append(" IS ").Append(parameters.Add(ScalarOf(element, comparison)));
        }

        sql.Append(')');
    }

    private static void AppendContains(StringBuilder sql, Comparison comparison, string path, string x, SqlParameters parameters)
    {
        var value = Scalar(comparison);
        switch (value)
        {
            case string text:
                // Case-insensitive: an array holds the value as an element, a string holds it as a substring.
                var needle = parameters.Add(text.ToLowerInvariant());
                sql.Append("(CASE json_type(r.data, ").Append(path).Append(')')
                    .Append(" WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(r.data, ").Append(path).Append(") j WHERE lower(j.value) = ").Append(needle).Append(')')
                    .Append(" WHEN 'text' THEN instr(lower(").Append(x).Append("), ").Append(needle).Append(") > 0")
                    .Append(" ELSE 0 END)");
                break;
            case long or double:
                sql.Append("(CASE json_type(r.data, ").Append(path).Append(')')
                    .Append(" WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(r.data, ").Append(path).Append(") j WHERE j.value = ").Append(parameters.Add(value)).Append(')')
                    .Append(" ELSE 0 END)");
                break;
            default:
                throw new ArgumentException($"Field '{comparison.Field}': 'contains' needs a string or a number.", nameof(comparison));
        }
    }

    /// <summary>
    /// A comparison with a record column. The value is converted to the column's stored form (a time to UTC ticks),
    /// so the column is compared as it is and could use an index. Columns are never NULL.
    /// </summary>
    private static void AppendColumnComparison(StringBuilder sql, Comparison comparison, string column, ColumnKind kind, SqlParameters parameters)
    {
        switch (comparison.Operator)
        {
            case FilterOperator.Eq or FilterOperator.Ne:
            {
                var value = ColumnValue(comparison, kind, Single(comparison));
                var equal = comparison.Operator == FilterOperator.Eq;
                if (value is null or Mismatch)
                {
                    sql.Append(equal ? '0' : '1');
                    return;
                }

                sql.Append('(').Append(column).Append(equal ? " = " : " <> ").Append(parameters.Add(value)).Append(')');
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
                    sql.Append('0');
                    return;
                }

                var op = comparison.Operator switch
                {
                    FilterOperator.Lt => " < ",
                    FilterOperator.Le => " <= ",
                    FilterOperator.Gt => " > ",
                    _ => " >= ",
                };
                sql.Append('(').Append(column).Append(op).Append(parameters.Add(value)).Append(')');
                return;
            }

            case FilterOperator.In:
            {
                using var document = Parse(comparison);
                if (document.RootElement.ValueKind != JsonValueKind.Array)
                {
                    throw new ArgumentException($"Field '{comparison.Field}': 'in' needs a JSON array of values.", nameof(comparison));
                }

                var values = document.RootElement.EnumerateArray()
                    .Select(element => ColumnValue(comparison, kind, element))
                    .Where(value => value is not (null or Mismatch))
                    .ToList();
                if (values.Count == 0)
                {
                    sql.Append('0');
                    return;
                }

                sql.Append('(').Append(column).Append(" IN (");
                for (var i = 0; i < values.Count; i++)
                {
                    sql.Append(i > 0 ? ", " : "").Append(parameters.Add(values[i]));
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
                        sql.Append("(instr(lower(").Append(column).Append("), ").Append(parameters.Add(element.GetString()!.ToLowerInvariant())).Append(") > 0)");
                        return;
                    case JsonValueKind.Number:
                        sql.Append('0');
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

                sql.Append('(').Append(column).Append(" LIKE ").Append(parameters.Add(EscapeLike(element.GetString()!) + "%")).Append(" ESCAPE '\\')");
                return;
            }

            case FilterOperator.Exists:
                sql.Append('1');
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
    private static object? ColumnValue(Comparison comparison, ColumnKind kind, JsonElement element)
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
                return element.ValueKind == JsonValueKind.Number
                    ? element.TryGetInt64(out var integer) ? integer : element.GetDouble()
                    : Mismatch.Value;
            default:
                return element.ValueKind == JsonValueKind.String ? element.GetString() : Mismatch.Value;
        }
    }

    /// <summary>The comparison's single value; an array or object is refused as for JSON fields.</summary>
    private static JsonElement Single(Comparison comparison)
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

    private static object? Scalar(Comparison comparison)
    {
        using var document = Parse(comparison);
        return ScalarOf(document.RootElement, comparison);
    }

    private static JsonDocument Parse(Comparison comparison)
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

    private static object? ScalarOf(JsonElement element, Comparison comparison) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var integer) ? integer : element.GetDouble(),
        JsonValueKind.True => 1L,
        JsonValueKind.False => 0L,
        JsonValueKind.Null => null,
        _ => throw new ArgumentException(
            $"Field '{comparison.Field}': '{comparison.Operator}' compares with a single value, not {element.ValueKind.ToString().ToLowerInvariant()} {element.GetRawText()}.",
            nameof(comparison)),
    };

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
}
