using System.Text;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Builds the statement behind <see cref="IRecordReadModel.QueryAsync"/>: tenant and type scope, optional full-text
/// match, filter, keyset position and order, fetching one row more than the page to know whether another follows.
/// </summary>
internal static class RecordQuerySql
{
    public const string RowColumns = "r.rid, r.type, r.id, r.version, r.deleted, r.created_at, r.updated_at, r.data, r.search_text";

    /// <summary>Index of the sort value in the result, present when the query sorts by a field.</summary>
    public const int SortKeyColumn = 9;

    public sealed record Statement(string Sql, SqlParameters Parameters, bool SortsByField);

    /// <summary>The statement (with <paramref name="count"/>, of the number of matches, ignoring cursor and limit), or null when the search text cannot match anything.</summary>
    public static Statement? Build(string tenant, string type, RecordQuery query, bool count = false)
    {
        var parameters = new SqlParameters();
        var sql = new StringBuilder(512);
        var sortKey = SortKey(query.SortBy);
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
            sql.Append(", ").Append(sortKey);
        }

        // With a search, walk the full-text matches in row-id order (CROSS JOIN fixes the join order), so a page
        // of a broad prefix stops after a page of hits instead of collecting and ranking all of them.
        var rid = match is null ? "r.rid" : "f.rowid";
        sql.Append(match is null ? " FROM records r" : " FROM records_fts f CROSS JOIN records r ON r.rid = f.rowid");
        sql.Append(" WHERE r.tenant = ").Append(parameters.Add(tenant)).Append(" AND r.type = ").Append(parameters.Add(type));
        if (match is not null)
        {
            sql.Append(" AND f.records_fts MATCH ").Append(parameters.Add(match));
        }

        if (!query.IncludeDeleted)
        {
            sql.Append(" AND r.deleted = 0");
        }

        if (query.Filter is not null)
        {
            sql.Append(" AND ");
            FilterSql.Append(sql, query.Filter, parameters);
        }

        if (count)
        {
            return new Statement(sql.ToString(), parameters, false);
        }

        if (query.Cursor is not null)
        {
            sql.Append(" AND ");
            AppendAfterCursor(sql, query, sortKey, rid, parameters);
        }

        var direction = query.Descending ? " DESC" : "";
        sql.Append(" ORDER BY ");
        if (sortKey is not null)
        {
            sql.Append(sortKey).Append(direction).Append(", ");
        }

        sql.Append(rid).Append(direction);
        sql.Append(" LIMIT ").Append(parameters.Add((long)query.Limit + 1));
        return new Statement(sql.ToString(), parameters, sortKey is not null);
    }

    /// <summary>
    /// The expression to order by: a record column as stored (times are UTC ticks, so they order chronologically) or a
    /// field of the JSON; null for creation order.
    /// </summary>
    private static string? SortKey(string? sortBy) => sortBy switch
    {
        null => null,
        _ when FilterSql.TryColumn(sortBy, out var column, out _) => column,
        _ => FieldPath.Extract(sortBy),
    };

    /// <summary>
    /// Rows after the cursor in the query's order. SQLite sorts NULL first ascending and last descending, and a
    /// comparison with NULL is NULL, so a NULL sort value needs its own condition.
    /// </summary>
    private static void AppendAfterCursor(StringBuilder sql, RecordQuery query, string? sortKey, string rid, SqlParameters parameters)
    {
        var after = query.Descending ? " < " : " > ";
        if (sortKey is null)
        {
            sql.Append(rid).Append(after).Append(parameters.Add(PageCursor.DecodePlain(query.Cursor!)));
            return;
        }

        var (key, lastRid) = PageCursor.DecodeKeyed(query.Cursor!);
        var ridParameter = parameters.Add(lastRid);
        if (key is null)
        {
            sql.Append(query.Descending
                ? $"({sortKey} IS NULL AND {rid} < {ridParameter})"
                : $"(({sortKey} IS NULL AND {rid} > {ridParameter}) OR {sortKey} IS NOT NULL)");
            return;
        }

        var keyParameter = parameters.Add(key);
        sql.Append('(').Append(sortKey).Append(after).Append(keyParameter)
            .Append(" OR (").Append(sortKey).Append(" = ").Append(keyParameter).Append(" AND ").Append(rid).Append(after).Append(ridParameter).Append(')');
        if (query.Descending)
        {
            sql.Append(" OR ").Append(sortKey).Append(" IS NULL");
        }

        sql.Append(')');
    }
}
