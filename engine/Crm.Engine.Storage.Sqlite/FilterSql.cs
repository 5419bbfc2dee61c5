using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Translates a <see cref="Filter"/> tree into a parameterised SQL condition over the row's JSON
/// (<c>json_extract(r.data, '$.field')</c>). Every comparison yields 0 or 1, never NULL, so <c>not</c> is an exact
/// complement even for missing fields. Numbers compare numerically, strings as text, and a number never matches a string.
/// </summary>
internal static class FilterSql
{
    private const int MaxDepth = 32;

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
