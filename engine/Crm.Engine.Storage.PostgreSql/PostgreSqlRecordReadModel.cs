using System.Data;
using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>The read model over the <c>records</c>, <c>unique_keys</c> and <c>links</c> tables.</summary>
internal sealed class PostgreSqlRecordReadModel(NpgsqlDataSource dataSource, string schema) : IRecordReadModel
{
    private const int MaxLimit = 1000;

    private readonly string _rowById =
        $"SELECT {RecordQuerySql.RowColumns} FROM {schema}.records r WHERE r.tenant = @t AND r.type = @type AND r.id = @id";

    private readonly string _holderOfKey = $"SELECT stream_id FROM {schema}.unique_keys WHERE tenant = @t AND kind = @kind AND value = @value";

    private readonly string _linkOwners =
        $"SELECT owner_stream FROM {schema}.links WHERE tenant = @t AND target_stream = @s ORDER BY owner_stream COLLATE \"C\" LIMIT @limit";

    // The record's own stream plus the streams of interactions, tasks, deals and cases linked to it.
    private readonly string _timeline = $"""
        SELECT {EventRows.Columns} FROM {schema}.events
        WHERE tenant = @t
          AND stream_id IN (
              SELECT @s
              UNION
              SELECT owner_stream FROM {schema}.links
              WHERE tenant = @t AND target_stream = @s AND owner_type IN ('interaction', 'task', 'deal', 'case'))
          AND position < @before
        ORDER BY position DESC
        LIMIT @limit
        """;

    public async Task<RecordRow?> GetAsync(string tenant, string type, string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(id);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        List<RecordRow> rows = [];
        await using (var command = new NpgsqlCommand(_rowById, connection, transaction))
        {
            command.Parameters.AddWithValue("t", tenant);
            command.Parameters.AddWithValue("type", type);
            command.Parameters.AddWithValue("id", id);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(RecordRows.Read(reader));
            }
        }

        var row = (await RecordRows.WithKeysAndLinksAsync(connection, schema, tenant, rows, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return row;
    }

    public async Task<string?> FindByUniqueKeyAsync(string tenant, UniqueClaim key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(key);
        await using var command = dataSource.CreateCommand(_holderOfKey);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("kind", key.Kind);
        command.Parameters.AddWithValue("value", key.Value);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string stream ? AppendCheck.RecordIdOf(stream) : null;
    }

    public Task<Page<RecordRow>> QueryAsync(string tenant, string type, RecordQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query.Limit));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, MaxLimit, nameof(query.Limit));

        // Built before any I/O so a bad filter or cursor fails fast.
        var statement = RecordQuerySql.Build(schema, tenant, type, query);
        return statement is null ? Task.FromResult(Page<RecordRow>.Empty) : RunAsync(tenant, query, statement, cancellationToken);
    }

    public async Task<long> CountAsync(string tenant, string type, RecordQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(query);
        var statement = RecordQuerySql.Build(schema, tenant, type, query, count: true);
        if (statement is null) return 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(statement.Sql, connection);
        statement.Parameters.BindTo(command);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<Page<RecordRow>> RunAsync(string tenant, RecordQuery query, RecordQuerySql.Statement statement, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var rows = new List<RecordRow>(Math.Min(query.Limit + 1, 64));
        string? next = null;
        await using (var command = new NpgsqlCommand(statement.Sql, connection, transaction))
        {
            statement.Parameters.BindTo(command);
            long lastRid = 0;
            object? lastKey = null;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (rows.Count == query.Limit)
                {
                    next = statement.SortsByField ? PageCursor.Encode(lastKey, lastRid) : PageCursor.Encode(lastRid);
                    break;
                }

                rows.Add(RecordRows.Read(reader));
                lastRid = reader.GetInt64(0);
                lastKey = statement.SortsByField && !reader.IsDBNull(RecordQuerySql.SortKeyColumn) ? reader.GetValue(RecordQuerySql.SortKeyColumn) : null;
            }
        }

        var page = new Page<RecordRow>(await RecordRows.WithKeysAndLinksAsync(connection, schema, tenant, rows, cancellationToken).ConfigureAwait(false), next);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return page;
    }

    public async Task<IReadOnlyList<string>> LinkOwnersAsync(string tenant, string targetStream, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(targetStream);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var command = dataSource.CreateCommand(_linkOwners);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("s", targetStream);
        command.Parameters.AddWithValue("limit", (long)limit);
        var owners = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) owners.Add(reader.GetString(0));
        return owners;
    }

    public async Task<Page<CrmEvent>> TimelineAsync(string tenant, string streamId, string? cursor, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        var before = cursor is null ? long.MaxValue : PageCursor.DecodePlain(cursor);
        await using var command = dataSource.CreateCommand(_timeline);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("s", streamId);
        command.Parameters.AddWithValue("before", before);
        command.Parameters.AddWithValue("limit", (long)limit + 1);
        var events = await EventRows.ReadAllAsync(command, limit + 1, cancellationToken).ConfigureAwait(false);
        if (events.Count <= limit)
        {
            return new Page<CrmEvent>(events, null);
        }

        events.RemoveAt(limit);
        return new Page<CrmEvent>(events, PageCursor.Encode(events[^1].Position));
    }
}
