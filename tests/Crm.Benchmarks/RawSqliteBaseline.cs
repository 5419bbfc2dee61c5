using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks;

/// <summary>
/// (a) The floor the store is measured against: plain Microsoft.Data.Sqlite on one thread writing the rows the store
/// writes for an append (event, record row, full-text entry, unique key) with the store's schema,
/// pragmas and statements, committing every <see cref="SqliteStoreOptions.MaxBatchSize"/> appends. No savepoints,
/// no version check, no queue: only the rows and the durable commits. The connection and schema come from the
/// store's own code (<c>SqliteConnections.OpenWriter</c>, <c>SchemaMigrations</c>), so they follow it when it changes.
/// </summary>
internal static class RawSqliteBaseline
{
    // The store's statements (WriterStatements), verbatim.
    private const string InsertEvent = """
        INSERT INTO events (position, tenant, stream_id, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload)
        VALUES ($position, $t, $s, $v, $id, $type, $schema, $time, $actor, $correlation, $causation, $payload)
        """;

    private const string InsertRecord = """
        INSERT INTO records (rid, tenant, type, id, version, deleted, created_at, updated_at, data, search_text)
        VALUES ($rid, $t, $type, $id, $v, $deleted, $created, $updated, $data, $search)
        """;

    private const string IndexText = "INSERT OR REPLACE INTO records_fts (rowid, text) VALUES ($rid, $text)";

    private const string ClaimKey =
        "INSERT INTO unique_keys (tenant, kind, value, stream_id) VALUES ($t, $kind, $value, $s) ON CONFLICT DO NOTHING";

    public sealed record Result(Measurement Measurement, string Details);

    /// <summary>Writes <paramref name="appends"/>; the first <paramref name="warmUp"/> are not timed.</summary>
    public static Result Run(IReadOnlyList<AppendRequest> appends, int warmUp, int batchSize)
    {
        using var directory = new TempDataDirectory("raw");
        using var connection = SqliteConnections.OpenWriter(new SqliteStoreOptions { Path = directory.DatabasePath });
        SchemaMigrations.Apply(connection, _ => { });

        using var writer = new RowWriter(connection);
        writer.Write(appends, 0, warmUp, batchSize);
        var thread = ThreadClock.CurrentThread();
        var probe = Measurement.Start();
        writer.Write(appends, warmUp, appends.Count - warmUp, batchSize);
        var measurement = probe.Stop(appends.Count - warmUp);
        var commits = (appends.Count - warmUp + batchSize - 1) / batchSize;
        return new Result(measurement, $"{commits:N0} commits, {measurement.Elapsed.TotalMilliseconds / commits:N2} ms/commit; {thread.Describe(measurement.Elapsed)}");
    }

    private sealed class RowWriter : IDisposable
    {
        private readonly SqliteCommand _begin;
        private readonly SqliteCommand _commit;
        private readonly SqliteCommand _event;
        private readonly SqliteCommand _record;
        private readonly SqliteCommand _text;
        private readonly SqliteCommand _key;
        private readonly byte[] _eventId = new byte[16];
        private long _position;
        private long _rid;

        public RowWriter(SqliteConnection connection)
        {
            SqliteCommand Prepare(string sql, params string[] names)
            {
                var command = connection.CreateCommand();
                command.CommandText = sql;
                foreach (var name in names)
                {
                    command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
                }

                command.Prepare();
                return command;
            }

            _begin = Prepare("BEGIN IMMEDIATE");
            _commit = Prepare("COMMIT");
            _event = Prepare(InsertEvent, "$position", "$t", "$s", "$v", "$id", "$type", "$schema", "$time", "$actor", "$correlation", "$causation", "$payload");
            _record = Prepare(InsertRecord, "$rid", "$t", "$type", "$id", "$v", "$deleted", "$created", "$updated", "$data", "$search");
            _text = Prepare(IndexText, "$rid", "$text");
            _key = Prepare(ClaimKey, "$t", "$kind", "$value", "$s");
        }

        public void Write(IReadOnlyList<AppendRequest> appends, int start, int count, int batchSize)
        {
            var end = start + count;
            for (var batchStart = start; batchStart < end; batchStart += batchSize)
            {
                _begin.ExecuteNonQuery();
                var batchEnd = Math.Min(end, batchStart + batchSize);
                for (var i = batchStart; i < batchEnd; i++)
                {
                    WriteOne(appends[i]);
                }

                _commit.ExecuteNonQuery();
            }
        }

        private void WriteOne(AppendRequest append)
        {
            var tenant = append.Tenant;
            var streamId = append.StreamId;
            var version = append.ExpectedVersion;
            foreach (var e in append.Events)
            {
                e.EventId.TryWriteBytes(_eventId, bigEndian: true, out _);
                Bind(_event, ++_position, tenant, streamId, ++version, _eventId, e.Type, e.SchemaVersion, e.Time.UtcTicks,
                    e.Actor.ToString(), e.CorrelationId, e.CausationId, e.PayloadJson);
                _event.ExecuteNonQuery();
            }

            var row = append.Row!;
            Bind(_record, ++_rid, tenant, row.Type, row.Id, row.Version, row.Deleted ? 1L : 0L, row.CreatedAt.UtcTicks,
                row.UpdatedAt.UtcTicks, row.DataJson, row.SearchText);
            _record.ExecuteNonQuery();

            Bind(_text, _rid, row.SearchText);
            _text.ExecuteNonQuery();

            foreach (var key in row.UniqueClaims)
            {
                Bind(_key, tenant, key.Kind, key.Value, streamId);
                _key.ExecuteNonQuery();
            }
        }

        private static void Bind(SqliteCommand command, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i] ?? DBNull.Value;
            }
        }

        public void Dispose()
        {
            foreach (var command in new[] { _begin, _commit, _event, _record, _text, _key })
            {
                command.Dispose();
            }
        }
    }
}
