using System.Text;
using System.Text.Json;
using Crm.Engine.Filtering;
using NpgsqlTypes;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// PostgreSQL's dialect of <see cref="FilterSqlWriter"/>: JSON fields are read from the row's jsonb
/// (<c>r.data #&gt; '{field}'</c>) and guarded by <c>jsonb_typeof</c>, booleans are <c>true</c> and <c>false</c>, and
/// parameters are named <c>@p0</c>, <c>@p1</c>, … with their <see cref="NpgsqlDbType"/>. Strings compare in code-point
/// order — the same semantics as the SQLite store.
/// </summary>
internal sealed class FilterSql : FilterSqlWriter
{
    private readonly SqlParameters _parameters;
    private readonly string _schema;

    private FilterSql(SqlParameters parameters, string schema)
        : base("true", "false")
    {
        _parameters = parameters;
        _schema = schema;
    }

    public static void Append(StringBuilder sql, Filter filter, SqlParameters parameters, string schema) => new FilterSql(parameters, schema).Append(sql, filter);

    protected override string RecordsTable => _schema + ".records";

    protected override string TextField(string alias, string field) => $"({alias}.data ->> '{field}')";

    protected override string Live(string alias) => "NOT " + alias + ".deleted";

    protected override string AddColumnValue(object value) => value switch
    {
        long integer => _parameters.Add(integer, NpgsqlDbType.Bigint),
        decimal number => _parameters.Add(number, NpgsqlDbType.Numeric),
        string text => _parameters.Add(text, NpgsqlDbType.Text),
        _ => throw new InvalidOperationException($"Unexpected column value {value.GetType()}."),
    };

    /// <summary>Always a decimal: the conditional widens an integer.</summary>
    protected override object ColumnNumber(JsonElement element) => element.TryGetInt64(out var integer) ? integer : element.GetDecimal();

    protected override string OrderedColumn(string column, ColumnKind kind) => kind == ColumnKind.Text ? column + " COLLATE \"C\"" : column;

    protected override void AppendColumnContains(StringBuilder sql, string column, string lowerNeedle) =>
        sql.Append("(strpos(lower(").Append(column).Append("), ").Append(_parameters.Add(lowerNeedle, NpgsqlDbType.Text)).Append(") > 0)");

    protected override void AppendColumnStartsWith(StringBuilder sql, string column, string pattern) =>
        sql.Append('(').Append(column).Append(" ILIKE ").Append(_parameters.Add(pattern, NpgsqlDbType.Text)).Append(')');

    protected override void AppendFieldComparison(StringBuilder sql, Comparison comparison)
    {
        var field = comparison.Field;
        var x = FieldPath.Extract(field, Alias);
        switch (comparison.Operator)
        {
            case FilterOperator.Eq:
                AppendEquals(sql, x, Single(comparison));
                break;
            case FilterOperator.Ne:
                sql.Append("(NOT ");
                AppendEquals(sql, x, Single(comparison));
                sql.Append(')');
                break;
            case FilterOperator.Lt or FilterOperator.Le or FilterOperator.Gt or FilterOperator.Ge:
                AppendOrdering(sql, comparison, x);
                break;
            case FilterOperator.In:
                AppendAnyOf(sql, comparison, element =>
                {
                    if (element.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
                    {
                        throw new ArgumentException(
                            $"Field '{comparison.Field}': 'in' compares with single values, not {element.ValueKind.ToString().ToLowerInvariant()} {element.GetRawText()}.",
                            nameof(comparison));
                    }

                    AppendEquals(sql, x, element);
                });
                break;
            case FilterOperator.Contains:
                AppendContains(sql, comparison, x);
                break;
            case FilterOperator.StartsWith:
                var prefix = Single(comparison);
                if (prefix.ValueKind != JsonValueKind.String)
                {
                    throw new ArgumentException($"Field '{field}': 'startsWith' needs a string value.", nameof(comparison));
                }

                // Case-insensitive like SQLite's LIKE; a number is matched by its text.
                sql.Append("(CASE WHEN jsonb_typeof(").Append(x).Append(") IN ('string', 'number') THEN (").Append(x).Append(" #>> '{}') ILIKE ")
                    .Append(_parameters.Add(EscapeLike(prefix.GetString()!) + "%")).Append(" ELSE false END)");
                break;
            case FilterOperator.Exists:
                sql.Append("(").Append(x).Append(" IS NOT NULL AND ").Append(x).Append(" <> 'null'::jsonb)");
                break;
            default:
                throw new ArgumentException($"Field '{field}': unsupported operator '{comparison.Operator}'.", nameof(comparison));
        }
    }

    /// <summary>Equality of jsonb values (numbers numerically); a missing field equals null.</summary>
    private void AppendEquals(StringBuilder sql, string x, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            sql.Append('(').Append(x).Append(" IS NULL OR ").Append(x).Append(" = 'null'::jsonb)");
            return;
        }

        sql.Append("COALESCE(").Append(x).Append(" = ").Append(_parameters.AddJson(value.GetRawText())).Append(", false)");
    }

    private void AppendOrdering(StringBuilder sql, Comparison comparison, string x)
    {
        var value = Single(comparison);
        var op = Operator(comparison.Operator);
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                sql.Append("(CASE WHEN jsonb_typeof(").Append(x).Append(") = 'string' THEN (").Append(x).Append(" #>> '{}') COLLATE \"C\"")
                    .Append(op).Append(_parameters.Add(value.GetString(), NpgsqlDbType.Text)).Append(" ELSE false END)");
                break;
            case JsonValueKind.Number:
                sql.Append("(CASE WHEN jsonb_typeof(").Append(x).Append(") = 'number' THEN (").Append(x).Append(" #>> '{}')::numeric")
                    .Append(op).Append(_parameters.Add(value.GetDecimal(), NpgsqlDbType.Numeric)).Append(" ELSE false END)");
                break;
            default:
                throw new ArgumentException($"Field '{comparison.Field}': '{comparison.Operator}' needs a number or a string.", nameof(comparison));
        }
    }

    private void AppendContains(StringBuilder sql, Comparison comparison, string x)
    {
        var value = Single(comparison);
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                // Case-insensitive: an array holds the value as an element, a string holds it as a substring.
                var needle = _parameters.Add(value.GetString()!.ToLowerInvariant(), NpgsqlDbType.Text);
                sql.Append("(CASE jsonb_typeof(").Append(x).Append(')')
                    .Append(" WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(").Append(x).Append(") j(v) WHERE jsonb_typeof(j.v) IN ('string', 'number') AND lower(j.v #>> '{}') = ").Append(needle).Append(')')
                    .Append(" WHEN 'string' THEN strpos(lower(").Append(x).Append(" #>> '{}'), ").Append(needle).Append(") > 0")
                    .Append(" ELSE false END)");
                break;
            case JsonValueKind.Number:
                sql.Append("(CASE jsonb_typeof(").Append(x).Append(')')
                    .Append(" WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(").Append(x).Append(") j(v) WHERE j.v = ").Append(_parameters.AddJson(value.GetRawText())).Append(')')
                    .Append(" ELSE false END)");
                break;
            default:
                throw new ArgumentException($"Field '{comparison.Field}': 'contains' needs a string or a number.", nameof(comparison));
        }
    }
}
