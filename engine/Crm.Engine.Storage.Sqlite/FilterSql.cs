using System.Text;
using System.Text.Json;
using Crm.Engine.Filtering;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// SQLite's dialect of <see cref="FilterSqlWriter"/>: JSON fields are read with <c>json_extract(r.data, '$.field')</c>
/// and guarded by <c>typeof</c>, booleans are <c>1</c> and <c>0</c>, and parameters are named <c>$p0</c>, <c>$p1</c>, ….
/// </summary>
internal sealed class FilterSql : FilterSqlWriter
{
    private readonly SqlParameters _parameters;

    private FilterSql(SqlParameters parameters)
        : base("1", "0") => _parameters = parameters;

    public static void Append(StringBuilder sql, Filter filter, SqlParameters parameters) => new FilterSql(parameters).Append(sql, filter);

    protected override string RecordsTable => "records";

    protected override string TextField(string alias, string field) => $"json_extract({alias}.data, {FieldPath.JsonPath(field)})";

    protected override string Live(string alias) => alias + ".deleted = 0";

    protected override string AddColumnValue(object value) => _parameters.Add(value);

    /// <summary>Always a double: the conditional widens an integer.</summary>
    protected override object ColumnNumber(JsonElement element) => element.TryGetInt64(out var integer) ? integer : element.GetDouble();

    protected override void AppendColumnContains(StringBuilder sql, string column, string lowerNeedle) =>
        sql.Append("(instr(lower(").Append(column).Append("), ").Append(_parameters.Add(lowerNeedle)).Append(") > 0)");

    protected override void AppendColumnStartsWith(StringBuilder sql, string column, string pattern) =>
        sql.Append('(').Append(column).Append(" LIKE ").Append(_parameters.Add(pattern)).Append(" ESCAPE '\\')");

    protected override void AppendFieldComparison(StringBuilder sql, Comparison comparison)
    {
        var field = comparison.Field;
        var path = FieldPath.JsonPath(field);
        var x = $"json_extract({Alias}.data, {path})";
        switch (comparison.Operator)
        {
            case FilterOperator.Eq:
                sql.Append('(').Append(x).Append(" IS ").Append(_parameters.Add(Scalar(comparison))).Append(')');
                break;
            case FilterOperator.Ne:
                sql.Append('(').Append(x).Append(" IS NOT ").Append(_parameters.Add(Scalar(comparison))).Append(')');
                break;
            case FilterOperator.Lt or FilterOperator.Le or FilterOperator.Gt or FilterOperator.Ge:
                AppendOrdering(sql, comparison, x);
                break;
            case FilterOperator.In:
                AppendAnyOf(sql, comparison, element => sql.Append(x).Append(" IS ").Append(_parameters.Add(ScalarOf(element, comparison))));
                break;
            case FilterOperator.Contains:
                AppendContains(sql, comparison, path, x);
                break;
            case FilterOperator.StartsWith:
                var prefix = Scalar(comparison) as string
                    ?? throw new ArgumentException($"Field '{field}': 'startsWith' needs a string value.", nameof(comparison));
                sql.Append("IFNULL(").Append(x).Append(" LIKE ").Append(_parameters.Add(EscapeLike(prefix) + "%")).Append(" ESCAPE '\\', 0)");
                break;
            case FilterOperator.Exists:
                sql.Append('(').Append(x).Append(" IS NOT NULL)");
                break;
            default:
                throw new ArgumentException($"Field '{field}': unsupported operator '{comparison.Operator}'.", nameof(comparison));
        }
    }

    private void AppendOrdering(StringBuilder sql, Comparison comparison, string x)
    {
        var value = Scalar(comparison);
        var typeGuard = value switch
        {
            string => "typeof(" + x + ") = 'text'",
            long or double => "typeof(" + x + ") IN ('integer', 'real')",
            _ => throw new ArgumentException($"Field '{comparison.Field}': '{comparison.Operator}' needs a number or a string.", nameof(comparison)),
        };
        sql.Append('(').Append(typeGuard).Append(" AND ").Append(x).Append(Operator(comparison.Operator)).Append(_parameters.Add(value)).Append(')');
    }

    private void AppendContains(StringBuilder sql, Comparison comparison, string path, string x)
    {
        var value = Scalar(comparison);
        switch (value)
        {
            case string text:
                // Case-insensitive: an array holds the value as an element, a string holds it as a substring.
                var needle = _parameters.Add(text.ToLowerInvariant());
                sql.Append("(CASE json_type(").Append(Alias).Append(".data, ").Append(path).Append(')')
                    .Append(" WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(").Append(Alias).Append(".data, ").Append(path).Append(") j WHERE lower(j.value) = ").Append(needle).Append(')')
                    .Append(" WHEN 'text' THEN instr(lower(").Append(x).Append("), ").Append(needle).Append(") > 0")
                    .Append(" ELSE 0 END)");
                break;
            case long or double:
                sql.Append("(CASE json_type(").Append(Alias).Append(".data, ").Append(path).Append(')')
                    .Append(" WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(").Append(Alias).Append(".data, ").Append(path).Append(") j WHERE j.value = ").Append(_parameters.Add(value)).Append(')')
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
}
