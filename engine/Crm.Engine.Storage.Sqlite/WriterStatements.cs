using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>Every statement the writer runs, prepared once on the writer's connection.</summary>
internal sealed class WriterStatements : PreparedStatementSet
{
    // Guid bytes are copied by SQLite when bound, so one buffer serves every event.
    private readonly byte[] _eventId = new byte[16];

    public WriterStatements(SqliteConnection connection)
        : base(connection)
    {
        Begin = Prepare("BEGIN IMMEDIATE");
        Commit = Prepare("COMMIT");
        Rollback = Prepare("ROLLBACK");
        Savepoint = Prepare("SAVEPOINT append");
        Release = Prepare("RELEASE append");
        RollbackToSavepoint = Prepare("ROLLBACK TO append");

        _streamVersion = Prepare(
            "SELECT version FROM events WHERE tenant = $t AND stream_id = $s ORDER BY version DESC LIMIT 1", "$t", "$s");
        _insertEvent = Prepare(
            """
            INSERT INTO events (position, tenant, stream_id, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload)
            VALUES ($position, $t, $s, $v, $id, $type, $schema, $time, $actor, $correlation, $causation, $payload)
            """,
            "$position", "$t", "$s", "$v", "$id", "$type", "$schema", "$time", "$actor", "$correlation", "$causation", "$payload");

        _findRecord = Prepare("SELECT rid, search_text FROM records WHERE tenant = $t AND type = $type AND id = $id", "$t", "$type", "$id");
        _insertRecord = Prepare(
            """
            INSERT INTO records (rid, tenant, type, id, version, deleted, created_at, updated_at, data, search_text)
            VALUES ($rid, $t, $type, $id, $v, $deleted, $created, $updated, $data, $search)
            """,
            "$rid", "$t", "$type", "$id", "$v", "$deleted", "$created", "$updated", "$data", "$search");
        _updateRecord = Prepare(
            """
            UPDATE records SET version = $v, deleted = $deleted, created_at = $created, updated_at = $updated, data = $data, search_text = $search
            WHERE rid = $rid
            """,
            "$rid", "$v", "$deleted", "$created", "$updated", "$data", "$search");
        _indexText = Prepare("INSERT OR REPLACE INTO records_fts (rowid, text) VALUES ($rid, $text)", "$rid", "$text");

        _keysOfStream = Prepare("SELECT kind, value FROM unique_keys WHERE tenant = $t AND stream_id = $s", "$t", "$s");
        _claimKey = Prepare(
            "INSERT INTO unique_keys (tenant, kind, value, stream_id) VALUES ($t, $kind, $value, $s) ON CONFLICT DO NOTHING",
            "$t", "$kind", "$value", "$s");
        _releaseKey = Prepare("DELETE FROM unique_keys WHERE tenant = $t AND kind = $kind AND value = $value", "$t", "$kind", "$value");
        _keyHolder = Prepare("SELECT stream_id FROM unique_keys WHERE tenant = $t AND kind = $kind AND value = $value", "$t", "$kind", "$value");

        _deleteLinks = Prepare("DELETE FROM links WHERE tenant = $t AND owner_stream = $s", "$t", "$s");
        _insertLink = Prepare(
            "INSERT OR REPLACE INTO links (tenant, owner_stream, owner_type, target_stream, role) VALUES ($t, $s, $ownerType, $target, $role)",
            "$t", "$s", "$ownerType", "$target", "$role");
    }

    public PreparedStatement Begin { get; }
    public PreparedStatement Commit { get; }
    public PreparedStatement Rollback { get; }
    public PreparedStatement Savepoint { get; }
    public PreparedStatement Release { get; }
    public PreparedStatement RollbackToSavepoint { get; }

    private readonly PreparedStatement _streamVersion;
    private readonly PreparedStatement _insertEvent;
    private readonly PreparedStatement _findRecord;
    private readonly PreparedStatement _insertRecord;
    private readonly PreparedStatement _updateRecord;
    private readonly PreparedStatement _indexText;
    private readonly PreparedStatement _keysOfStream;
    private readonly PreparedStatement _claimKey;
    private readonly PreparedStatement _releaseKey;
    private readonly PreparedStatement _keyHolder;
    private readonly PreparedStatement _deleteLinks;
    private readonly PreparedStatement _insertLink;

    /// <summary>The stream's version, 0 when it has no events.</summary>
    public long StreamVersion(string tenant, string streamId) =>
        _streamVersion.Bind(0, tenant).Bind(1, streamId).Scalar() is long version ? version : 0;

    public void InsertEvent(long position, string tenant, string streamId, long version, NewEvent e)
    {
        // Big-endian keeps time-ordered (v7) ids in index order, so inserts append to the unique index.
        e.EventId.TryWriteBytes(_eventId, bigEndian: true, out _);
        _insertEvent
            .Bind(0, position).Bind(1, tenant).Bind(2, streamId).Bind(3, version)
            .Bind(4, _eventId).Bind(5, e.Type).Bind(6, e.SchemaVersion).Bind(7, e.Time.UtcTicks)
            .Bind(8, e.Actor.ToString()).Bind(9, e.CorrelationId).Bind(10, e.CausationId).Bind(11, e.PayloadJson)
            .Execute();
    }

    /// <summary>The row id and indexed text of a record row, if it exists.</summary>
    public bool FindRecord(string tenant, string type, string id, out long rid, out string searchText)
    {
        using var reader = _findRecord.Bind(0, tenant).Bind(1, type).Bind(2, id).Reader();
        if (reader.Read())
        {
            rid = reader.GetInt64(0);
            searchText = reader.GetString(1);
            return true;
        }

        rid = 0;
        searchText = "";
        return false;
    }

    public void InsertRecord(long rid, string tenant, RecordRow row) =>
        _insertRecord
            .Bind(0, rid).Bind(1, tenant).Bind(2, row.Type).Bind(3, row.Id).Bind(4, row.Version)
            .Bind(5, row.Deleted ? 1L : 0L).Bind(6, row.CreatedAt.UtcTicks).Bind(7, row.UpdatedAt.UtcTicks)
            .Bind(8, row.DataJson).Bind(9, row.SearchText)
            .Execute();

    public void UpdateRecord(long rid, RecordRow row) =>
        _updateRecord
            .Bind(0, rid).Bind(1, row.Version).Bind(2, row.Deleted ? 1L : 0L).Bind(3, row.CreatedAt.UtcTicks)
            .Bind(4, row.UpdatedAt.UtcTicks).Bind(5, row.DataJson).Bind(6, row.SearchText)
            .Execute();

    /// <summary>Indexes (or re-indexes) a record's search text under its row id.</summary>
    public void IndexText(long rid, string text) => _indexText.Bind(0, rid).Bind(1, text).Execute();

    /// <summary>Adds the stream's current claims to <paramref name="into"/>.</summary>
    public void KeysOfStream(string tenant, string streamId, List<UniqueClaim> into)
    {
        using var reader = _keysOfStream.Bind(0, tenant).Bind(1, streamId).Reader();
        while (reader.Read())
        {
            into.Add(new UniqueClaim(reader.GetString(0), reader.GetString(1)));
        }
    }

    /// <summary>Claims a key; false when someone (possibly this stream) already holds it.</summary>
    public bool TryClaimKey(string tenant, UniqueClaim key, string streamId) =>
        _claimKey.Bind(0, tenant).Bind(1, key.Kind).Bind(2, key.Value).Bind(3, streamId).Execute() == 1;

    public void ReleaseKey(string tenant, UniqueClaim key) =>
        _releaseKey.Bind(0, tenant).Bind(1, key.Kind).Bind(2, key.Value).Execute();

    public string? KeyHolder(string tenant, UniqueClaim key) =>
        _keyHolder.Bind(0, tenant).Bind(1, key.Kind).Bind(2, key.Value).Scalar() as string;

    public void DeleteLinks(string tenant, string ownerStream) => _deleteLinks.Bind(0, tenant).Bind(1, ownerStream).Execute();

    public void InsertLink(string tenant, string ownerStream, string ownerType, string targetStream, string? role) =>
        _insertLink.Bind(0, tenant).Bind(1, ownerStream).Bind(2, ownerType).Bind(3, targetStream).Bind(4, role).Execute();

}
