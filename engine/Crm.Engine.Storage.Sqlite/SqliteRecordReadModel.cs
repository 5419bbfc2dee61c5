namespace Crm.Engine.Storage.Sqlite;

/// <summary>The read model over the <c>records</c>, <c>unique_keys</c>, <c>links</c> and full-text tables.</summary>
internal sealed class SqliteRecordReadModel(ReadConnectionPool readers) : IRecordReadModel
{
    private const int MaxLimit = 1000;

    private const string RowById =
        $"SELECT {RecordQuerySql.RowColumns} FROM records r WHERE r.tenant = $t AND r.type = $type AND r.id = $id";

    private const string HolderOfKey = "SELECT stream_id FROM unique_keys WHERE tenant = $t AND kind = $kind AND value = $value";

    private const string LinkOwners =
        "SELECT owner_stream FROM links WHERE tenant = $t AND target_stream = $s ORDER BY owner_stream LIMIT $limit";

    // The record's own stream plus the streams of interactions, tasks, deals and cases linked to it.
    private const string Timeline = $"""
        SELECT {EventRows.Columns} FROM events
        WHERE tenant = $t
          AND stream_id IN (
              SELECT $s
              UNION
              SELECT owner_stream FROM links
              WHERE tenant = $t AND target_stream = $s AND owner_type IN ('interaction', 'task', 'deal', 'case'))
          AND position < $before
        ORDER BY position DESC
        LIMIT $limit
        """;

    public Task<RecordRow?> GetAsync(string tenant, string type, string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return readers.ReadAsync(connection => connection.InSnapshot(c =>
        {
            var command = c.Command(RowById);
            command.Parameters.AddWithValue("$t", tenant);
            command.Parameters.AddWithValue("$type", type);
            command.Parameters.AddWithValue("$id", id);
            List<RecordRow> rows = [];
            using (var reader = command.ExecuteReader())
            {
                if (reader.Read())
                {
                    rows.Add(RecordRows.Read(reader));
                }
            }

            return RecordRows.WithKeysAndLinks(c, tenant, rows).FirstOrDefault();
        }), cancellationToken);
    }

    public Task<string?> FindByUniqueKeyAsync(string tenant, UniqueClaim key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(key);
        return readers.ReadAsync(connection =>
        {
            var command = connection.Command(HolderOfKey);
            command.Parameters.AddWithValue("$t", tenant);
            command.Parameters.AddWithValue("$kind", key.Kind);
            command.Parameters.AddWithValue("$value", key.Value);
            return command.ExecuteScalar() is string stream ? StreamAppender.RecordIdOf(stream) : null;
        }, cancellationToken);
    }

    public Task<long> CountAsync(string tenant, string type, RecordQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(query);
        var statement = RecordQuerySql.Build(tenant, type, query, count: true);
        if (statement is null) return Task.FromResult(0L);
        return readers.ReadAsync(connection => connection.InSnapshot(c =>
        {
            var command = c.Command(statement.Sql);
            statement.Parameters.BindTo(command);
            return (long)command.ExecuteScalar()!;
        }), cancellationToken);
    }

    public Task<Page<RecordRow>> QueryAsync(string tenant, string type, RecordQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query.Limit));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, MaxLimit, nameof(query.Limit));

        // Built on the caller's thread so a bad filter or cursor fails fast, before any I/O.
        var statement = RecordQuerySql.Build(tenant, type, query);
        if (statement is null)
        {
            return Task.FromResult(Page<RecordRow>.Empty);
        }

        return readers.ReadAsync(connection => connection.InSnapshot(c =>
        {
            var command = c.Command(statement.Sql);
            statement.Parameters.BindTo(command);
            var rows = new List<RecordRow>(Math.Min(query.Limit + 1, 64));
            long lastRid = 0;
            object? lastKey = null;
            string? next = null;
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    if (rows.Count == query.Limit)
                    {
                        next = statement.SortsByField ? PageCursor.Encode(lastKey, lastRid) : PageCursor.Encode(lastRid);
                        break;
                    }

                    rows.Add(RecordRows.Read(reader));
                    lastRid = reader.GetInt64(0);
                    lastKey = statement.SortsByField ? reader.GetValue(RecordQuerySql.SortKeyColumn) : null;
                }
            }

            return new Page<RecordRow>(RecordRows.WithKeysAndLinks(c, tenant, rows), next);
        }), cancellationToken);
    }

    public Task<IReadOnlyList<string>> LinkOwnersAsync(string tenant, string targetStream, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(targetStream);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return readers.ReadAsync<IReadOnlyList<string>>(connection =>
        {
            var command = connection.Command(LinkOwners);
            command.Parameters.AddWithValue("$t", tenant);
            command.Parameters.AddWithValue("$s", targetStream);
            command.Parameters.AddWithValue("$limit", (long)limit);
            var owners = new List<string>();
            using var reader = command.ExecuteReader();
            while (reader.Read()) owners.Add(reader.GetString(0));
            return owners;
        }, cancellationToken);
    }

    public Task<Page<CrmEvent>> TimelineAsync(string tenant, string streamId, string? cursor, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        var before = cursor is null ? long.MaxValue : PageCursor.DecodePlain(cursor);
        return readers.ReadAsync(connection =>
        {
            var command = connection.Command(Timeline);
            command.Parameters.AddWithValue("$t", tenant);
            command.Parameters.AddWithValue("$s", streamId);
            command.Parameters.AddWithValue("$before", before);
            command.Parameters.AddWithValue("$limit", (long)limit + 1);
            var events = EventRows.ReadAll(command, limit + 1);
            if (events.Count <= limit)
            {
                return new Page<CrmEvent>(events, null);
            }

            events.RemoveAt(limit);
            return new Page<CrmEvent>(events, PageCursor.Encode(events[^1].Position));
        }, cancellationToken);
    }
}
