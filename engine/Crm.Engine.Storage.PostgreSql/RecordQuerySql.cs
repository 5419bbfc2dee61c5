using System.Text;
using NpgsqlTypes;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Builds the statement behind <see cref="IRecordReadModel.QueryAsync"/>: tenant and type scope, optional full-text
/// match, filter, keyset position and order, fetching one row more than the page to know whether another follows.
/// </summary>
internal static class RecordQuerySql
{
    public const string RowColumns = "r.rid, r.type, r.id, r.version, r.deleted, r.created_at, r.updated_at, r.data_text, r.search_text";

    /// <summary>Index of the sort value in the result, present when the query sorts by a field.</summary>
    public const int SortKeyColumn = 9;

    public sealed record Statement(string Sql, SqlParameters Parameters, bool SortsByField);

    /// <summary>How rows are ordered: by creation (row id), by a record column, or by a JSON field.</summary>
    private sealed record SortKey(string Expression, string Output, NpgsqlDbType CursorType);

    /// <summary>The statement (with <paramref name="count"/>, of the number of matches, ignoring cursor and limit), or null when the search text cannot match anything.</summary>
    public static Statement? Build(string schema, string tenant, string type, RecordQuery query, bool count = false)
    {
        var parameters = new SqlParameters();
        var sql = new StringBuilder(512);
        var sortKey = SortKeyOf(query.SortBy);
        string? match = null;
        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            match = SearchExpression.Build(query.Text);
            if (match is null)
            {
                return null;
            }
        }

        if (count) sortKey = null;
        sql.Append("SELECT ").Append(count ? "COUNT(*)" : RowColumns);
        if (sortKey is not null)
        {
            sql.Append(", ").Append(sortKey.Output);
        }

        sql.Append(" FROM ").Append(schema).Append(".records r");
        sql.Append(" WHERE r.tenant = ").Append(parameters.Add(tenant, NpgsqlDbType.Text))
            .Append(" AND r.type = ").Append(parameters.Add(type, NpgsqlDbType.Text));
        if (match is not null)
        {
            sql.Append(" AND r.search @@ to_tsquery('simple', ").Append(parameters.Add(match, NpgsqlDbType.Text)).Append(')');
        }

        if (!query.IncludeDeleted)
        {
            sql.Append(" AND NOT r.deleted");
        }

        if (query.Filter is not null)
        {
            sql.Append(" AND ");
            FilterSql.Append(sql, query.Filter, parameters, schema);
        }

        if (count)
        {
            return new Statement(sql.ToString(), parameters, false);
        }

        if (query.Cursor is not null)
        {
            sql.Append(" AND ");
            AppendAfterCursor(sql, query, sortKey, parameters);
        }

        // NULLs first ascending and last descending, as SQLite orders them, so cursors mean the same on both stores.
        var direction = query.Descending ? " DESC" : " ASC";
        sql.Append(" ORDER BY ");
        if (sortKey is not null)
        {
            sql.Append(sortKey.Expression).Append(direction).Append(query.Descending ? " NULLS LAST, " : " NULLS FIRST, ");
        }

        sql.Append("r.rid").Append(direction);
        sql.Append(" LIMIT ").Append(parameters.Add((long)query.Limit + 1, NpgsqlDbType.Bigint));
        return new Statement(sql.ToString(), parameters, sortKey is not null);
    }

    /// <summary>
    /// The expression to order by: a record column as stored (times are UTC ticks, so they order chronologically) or a
    /// field of the JSON, a JSON null counting as missing; null for creation order.
    /// </summary>
    private static SortKey? SortKeyOf(string? sortBy)
    {
        if (sortBy is null)
        {
            return null;
        }

        if (FilterSql.TryColumn(sortBy, out var column, out var kind))
        {
            return kind == FilterSql.ColumnKind.Text
                ? new SortKey(column + " COLLATE \"C\"", column, NpgsqlDbType.Text)
                : new SortKey(column, column, NpgsqlDbType.Bigint);
        }

        var expression = $"NULLIF({FieldPath.Extract(sortBy)}, 'null'::jsonb)";
        return new SortKey(expression, expression + "::text", NpgsqlDbType.Jsonb);
    }

    /// <summary>Rows after the cursor in the query's order; a NULL sort value needs its own condition.</summary>
    private static void AppendAfterCursor(StringBuilder sql, RecordQuery query, SortKey? sortKey, SqlParameters parameters)
    {
        var after = query.Descending ? " < " : " > ";
        if (sortKey is null)
        {
            sql.Append("r.rid").Append(after).Append(parameters.Add(PageCursor.DecodePlain(query.Cursor!), NpgsqlDbType.Bigint));
            return;
        }

        var (key, lastRid) = PageCursor.DecodeKeyed(query.Cursor!);
        var ridParameter = parameters.Add(lastRid, NpgsqlDbType.Bigint);
        var sk = sortKey.Expression;
        if (key is null)
        {
            sql.Append(query.Descending
                ? $"({sk} IS NULL AND r.rid < {ridParameter})"
                : $"(({sk} IS NULL AND r.rid > {ridParameter}) OR {sk} IS NOT NULL)");
            return;
        }

        var valid = (sortKey.CursorType, key) switch
        {
            (NpgsqlDbType.Bigint, long) => true,
            (NpgsqlDbType.Text or NpgsqlDbType.Jsonb, string) => true,
            _ => false,
        };
        if (!valid)
        {
            throw new ArgumentException("The cursor is not one this query returned; start again without a cursor.", "cursor");
        }

        var keyParameter = parameters.Add(key, sortKey.CursorType);
        sql.Append("(COALESCE(").Append(sk).Append(after).Append(keyParameter).Append(", false)")
            .Append(" OR COALESCE(").Append(sk).Append(" = ").Append(keyParameter).Append(" AND r.rid").Append(after).Append(ridParameter).Append(", false)");
        if (query.Descending)
        {
            sql.Append(" OR ").Append(sk).Append(" IS NULL");
        }

        sql.Append(')');
    }
}
