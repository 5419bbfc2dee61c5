using System.Text;
using System.Text.Json;
using Crm.Engine.Filtering;
using NpgsqlTypes;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Translates a <see cref="Filter"/> tree into a parameterised SQL condition over the row's jsonb
/// (<c>r.data #&gt; '{field}'</c>) and its record columns (<c>createdAt</c>, <c>updatedAt</c>, <c>id</c>, <c>version</c>).
/// Every comparison yields true or false, never NULL, so <c>not</c> is an exact complement even for missing fields.
/// Numbers compare numerically, strings as text in code-point order, and a number never matches a string — the same
/// semantics as the SQLite store.
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
                AppendAll(sql, and.Parts, " AND ", "true", parameters, depth);
                break;
            case OrFilter or:
                AppendAll(sql, or.Parts, " OR ", "false", parameters, depth);
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

        var x = FieldPath.Extract(field);
        switch (comparison.Operator)
        {
            case FilterOperator.Eq:
                AppendEquals(sql, x, Single(comparison), parameters);
                break;
            case FilterOperator.Ne:
                sql.Append("(NOT ");
                AppendEquals(sql, x, Single(comparison), parameters);
                sql.Append(')');
                break;
            case FilterOperator.Lt or FilterOperator.Le or FilterOperator.Gt or FilterOperator.Ge:
                AppendOrdering(sql, comparison, x, parameters);
                break;
            case FilterOperator.In:
                AppendIn(sql, comparison, x, parameters);
                break;
            case FilterOperator.Contains:
                AppendContains(sql, comparison, x, parameters);
                break;
            case FilterOperator.StartsWith:
                var prefix = Single(comparison);
                if (prefix.ValueKind != JsonValueKind.String)
                {
                    throw new ArgumentException($"Field '{field}': 'startsWith' needs a string value.", nameof(comparison));
                }

                // Case-insensitive like SQLite's LIKE; a number is matched by its text.
                sql.Append("(CASE WHEN jsonb_typeof(").Append(x).Append(") IN ('string', 'number') THEN (").Append(x).Append(" #>> '{}') ILIKE ")
                    .Append(parameters.Add(EscapeLike(prefix.GetString()!) + "%")).Append(" ELSE false END)");
                break;
            case FilterOperator.Exists:
                sql.Append("(").Append(x).Append(" IS NOT NULL AND ").Append(x).Append(" <> 'null'::jsonb)");
                break;
            default:
                throw new ArgumentException($"Field '{field}': unsupported operator '{comparison.Operator}'.", nameof(comparison));
        }
    }

    /// <summary>Equality of jsonb values (numbers numerically); a missing field equals null.</summary>
    private static void AppendEquals(StringBuilder sql, string x, JsonElement value, SqlParameters parameters)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            sql.Append('(').Append(x).Append(" IS NULL OR ").Append(x).Append(" = 'null'::jsonb)");
            return;
        }

        sql.Append("COALESCE(").Append(x).Append(" = ").Append(parameters.AddJson(value.GetRawText())).Append(", false)");
    }

    private static void AppendOrdering(StringBuilder sql, Comparison comparison, string x, SqlParameters parameters)
    {
        var value = Single(comparison);
        var op = Operator(comparison.Operator);
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                sql.Append("(CASE WHEN jsonb_typeof(").Append(x).Append(") = 'string' THEN (").Append(x).Append(" #>> '{}') COLLATE \"C\"")
                    .Append(op).Append(parameters.Add(value.GetString(), NpgsqlDbType.Text)).Append(" ELSE false END)");
                break;
            case JsonValueKind.Number:
                sql.Append("(CASE WHEN jsonb_typeof(").Append(x).Append(") = 'number' THEN (").Append(x).Append(" #>> '{}')::numeric")
                    .Append(op).Append(parameters.Add(value.GetDecimal(), NpgsqlDbType.Numeric)).Append(" ELSE false END)");
                break;
            default:
                throw new ArgumentException($"Field '{comparison.Field}': '{comparison.Operator}' needs a number or a string.", nameof(comparison));
        }
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
            sql.Append("false");
            return;
        }

        sql.Append('(');
        var first = true;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            if (element.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
            {
                throw new ArgumentException(
                    $"Field '{comparison.Field}': 'in' compares with single values, not {element.ValueKind.ToString().ToLowerInvariant()} {element.GetRawText()}.",
                    nameof(comparison));
            }

            if (!first)
            {
                sql.Append(" OR ");
            }

            first = false;
            AppendEquals(sql, x, element, parameters);
        }

        sql.Append(')');
    }

    private static void AppendContains(StringBuilder sql, Comparison comparison, string x, SqlParameters parameters)
    {
        var value = Single(comparison);
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                // Case-insensitive: an array holds the value as an element, a string holds it as a substring.
                var needle = parameters.Add(value.GetString()!.ToLowerInvariant(), NpgsqlDbType.Text);
                sql.Append("(CASE jsonb_typeof(").Append(x).Append(')')
                    .Append(" WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(").Append(x).Append(") j(v) WHERE jsonb_typeof(j.v) IN ('string', 'number') AND lower(j.v #>> '{}') = ").Append(needle).Append(')')
                    .Append(" WHEN 'string' THEN strpos(lower(").Append(x).Append(" #>> '{}'), ").Append(needle).Append(") > 0")
                    .Append(" ELSE false END)");
                break;
            case JsonValueKind.Number:
                sql.Append("(CASE jsonb_typeof(").Append(x).Append(')')
                    .Append(" WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(").Append(x).Append(") j(v) WHERE j.v = ").Append(parameters.AddJson(value.GetRawText())).Append(')')
                    .Append(" ELSE false END)");
                break;
            default:
                throw new ArgumentException($"Field '{comparison.Field}': 'contains' needs a string or a number.", nameof(comparison));
        }
    }

    /// <summary>
    /// A comparison with a record column. The value is converted to the column's stored form (a time to UTC ticks),
    /// so the column is compared as it is and can use an index. Columns are never NULL.
    /// </summary>
    private static void AppendColumnComparison(StringBuilder sql, Comparison comparison, string column, ColumnKind kind, SqlParameters parameters)
    {
        var compared = kind == ColumnKind.Text ? column + " COLLATE \"C\"" : column;
        switch (comparison.Operator)
        {
            case FilterOperator.Eq or FilterOperator.Ne:
            {
                var value = ColumnValue(comparison, kind, Single(comparison));
                var equal = comparison.Operator == FilterOperator.Eq;
                if (value is null or Mismatch)
                {
                    sql.Append(equal ? "false" : "true");
                    return;
                }

                sql.Append('(').Append(column).Append(equal ? " = " : " <> ").Append(AddColumnValue(parameters, value)).Append(')');
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
                    sql.Append("false");
                    return;
                }

                sql.Append('(').Append(compared).Append(Operator(comparison.Operator)).Append(AddColumnValue(parameters, value!)).Append(')');
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
                    sql.Append("false");
                    return;
                }

                sql.Append('(').Append(column).Append(" IN (");
                for (var i = 0; i < values.Count; i++)
                {
                    sql.Append(i > 0 ? ", " : "").Append(AddColumnValue(parameters, values[i]!));
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
                        sql.Append("(strpos(lower(").Append(column).Append("), ").Append(parameters.Add(element.GetString()!.ToLowerInvariant(), NpgsqlDbType.Text)).Append(") > 0)");
                        return;
                    case JsonValueKind.Number:
                        sql.Append("false");
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

                sql.Append('(').Append(column).Append(" ILIKE ").Append(parameters.Add(EscapeLike(element.GetString()!) + "%", NpgsqlDbType.Text)).Append(')');
                return;
            }

            case FilterOperator.Exists:
                sql.Append("true");
                return;

            default:
                throw new ArgumentException($"Field '{comparison.Field}': unsupported operator '{comparison.Operator}'.", nameof(comparison));
        }
    }

    private static string AddColumnValue(SqlParameters parameters, object value) => value switch
    {
        long integer => parameters.Add(integer, NpgsqlDbType.Bigint),
        decimal number => parameters.Add(number, NpgsqlDbType.Numeric),
        string text => parameters.Add(text, NpgsqlDbType.Text),
        _ => throw new InvalidOperationException($"Unexpected column value {value.GetType()}."),
    };

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
                    ? element.TryGetInt64(out var integer) ? integer : element.GetDecimal()
                    : Mismatch.Value;
            default:
                return element.ValueKind == JsonValueKind.String ? element.GetString() : Mismatch.Value;
        }
    }

    private static string Operator(FilterOperator op) => op switch
    {
        FilterOperator.Lt => " < ",
        FilterOperator.Le => " <= ",
        FilterOperator.Gt => " > ",
        _ => " >= ",
    };

    /// <summary>The comparison's single value; an array or object is refused.</summary>
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

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
}
