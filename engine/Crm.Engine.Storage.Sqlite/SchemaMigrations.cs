using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Forward-only schema migrations. Each script runs once, in its own transaction, and records its number in
/// <c>schema_version</c>; a file written by a newer build is refused rather than misread.
/// </summary>
internal static class SchemaMigrations
{
    /// <summary>Numbered scripts; append new ones at the end, never edit a released one.</summary>
    private static readonly (int Version, string Sql)[] Scripts =
    [
        (1, """
            CREATE TABLE events (
                position       INTEGER PRIMARY KEY,
                tenant         TEXT    NOT NULL,
                stream_id      TEXT    NOT NULL,
                version        INTEGER NOT NULL,
                event_id       BLOB    NOT NULL UNIQUE,
                type           TEXT    NOT NULL,
                schema_version INTEGER NOT NULL,
                time           INTEGER NOT NULL,
                actor          TEXT    NOT NULL,
                correlation_id TEXT,
                causation_id   TEXT,
                payload        TEXT    NOT NULL,
                UNIQUE (tenant, stream_id, version)
            );

            CREATE TABLE streams (
                tenant    TEXT    NOT NULL,
                stream_id TEXT    NOT NULL,
                version   INTEGER NOT NULL,
                PRIMARY KEY (tenant, stream_id)
            ) WITHOUT ROWID;

            CREATE TABLE records (
                rid         INTEGER PRIMARY KEY,
                tenant      TEXT    NOT NULL,
                type        TEXT    NOT NULL,
                id          TEXT    NOT NULL,
                version     INTEGER NOT NULL,
                deleted     INTEGER NOT NULL,
                created_at  INTEGER NOT NULL,
                updated_at  INTEGER NOT NULL,
                data        TEXT    NOT NULL,
                search_text TEXT    NOT NULL,
                UNIQUE (tenant, type, id)
            );

            -- Rows of one type in creation order: every index ends in the rowid, so this is also (tenant, type, rid).
            CREATE INDEX records_by_type ON records (tenant, type);

            -- Contentless: the text lives in records.search_text; the index only maps words to records.rid.
            -- No prefix index: it cost about a tenth of the writer's time per record, while a prefix search walks
            -- matches in rowid order and stops after a page, which stays well under a millisecond at 100k records.
            -- A later migration can rebuild the index with one from records.search_text.
            CREATE VIRTUAL TABLE records_fts USING fts5 (
                text,
                content = '',
                contentless_delete = 1,
                tokenize = 'unicode61 remove_diacritics 2'
            );

            CREATE TABLE unique_keys (
                tenant    TEXT NOT NULL,
                kind      TEXT NOT NULL,
                value     TEXT NOT NULL,
                stream_id TEXT NOT NULL,
                PRIMARY KEY (tenant, kind, value)
            ) WITHOUT ROWID;

            CREATE INDEX unique_keys_by_stream ON unique_keys (tenant, stream_id);

            CREATE TABLE links (
                tenant        TEXT NOT NULL,
                owner_stream  TEXT NOT NULL,
                owner_type    TEXT NOT NULL,
                target_stream TEXT NOT NULL,
                role          TEXT,
                PRIMARY KEY (tenant, owner_stream, target_stream)
            ) WITHOUT ROWID;

            CREATE INDEX links_by_target ON links (tenant, target_stream, owner_type);
            """),
        (2, """
            -- Once-per-cluster work: who runs it (leases with fencing epochs), how far it got, what it decided to do.
            -- Times are UTC ticks, like event times.
            CREATE TABLE leases (
                name       TEXT    PRIMARY KEY,
                owner      TEXT    NOT NULL,
                epoch      INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE checkpoints (
                subscription TEXT    PRIMARY KEY,
                position     INTEGER NOT NULL,
                epoch        INTEGER NOT NULL,
                updated_at   INTEGER NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE outbox (
                id              INTEGER PRIMARY KEY,
                subscription    TEXT    NOT NULL,
                key             TEXT    NOT NULL,
                kind            TEXT    NOT NULL,
                tenant          TEXT    NOT NULL,
                payload         TEXT    NOT NULL,
                source_event    BLOB,
                created_at      INTEGER NOT NULL,
                status          INTEGER NOT NULL,
                attempts        INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                last_error      TEXT,
                completed_at    INTEGER,
                UNIQUE (subscription, key)
            );

            CREATE INDEX outbox_pending ON outbox (subscription, next_attempt_at) WHERE status = 0;

            -- Internal effects applied, by idempotency key: an effect executed twice is refused the second time.
            CREATE TABLE effects (
                effect_key TEXT    PRIMARY KEY,
                tenant     TEXT    NOT NULL,
                stream_id  TEXT    NOT NULL,
                position   INTEGER NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE timers (
                tenant    TEXT    NOT NULL,
                stream_id TEXT    NOT NULL,
                name      TEXT    NOT NULL,
                due_at    INTEGER NOT NULL,
                payload   TEXT,
                PRIMARY KEY (tenant, stream_id, name)
            ) WITHOUT ROWID;

            CREATE INDEX timers_due ON timers (due_at);
            """),
        (3, """
            -- Projections that follow the log (reports): their rows and how far each got, written in one transaction.
            CREATE TABLE projection_checkpoints (
                projection TEXT    PRIMARY KEY,
                position   INTEGER NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE projection_rows (
                projection TEXT NOT NULL,
                tenant     TEXT NOT NULL,
                key        TEXT NOT NULL,
                data       TEXT NOT NULL,
                PRIMARY KEY (projection, tenant, key)
            ) WITHOUT ROWID;
            """),
        (4, """
            -- A stream's version is its last event's, found through the events' (tenant, stream_id, version) index:
            -- a table repeating it cost every append one more write.
            DROP TABLE streams;
            """),
    ];

    /// <summary>The schema version this build writes.</summary>
    public static int Latest => Scripts[^1].Version;

    /// <summary>Brings the database up to <see cref="Latest"/> and returns the version it is at.</summary>
    public static int Apply(SqliteConnection connection, Action<int> applied)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
        var current = Current(connection);
        if (current > Latest)
        {
            throw new InvalidOperationException(
                $"The database '{connection.DataSource}' has schema version {current}, newer than this build understands ({Latest}). Upgrade the engine.");
        }

        foreach (var (version, sql) in Scripts)
        {
            if (version <= current)
            {
                continue;
            }

            using var transaction = connection.BeginTransaction(deferred: false);
            Execute(connection, sql, transaction);
            using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_version (version, applied_at) VALUES ($v, $at)";
                record.Parameters.AddWithValue("$v", version);
                record.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                record.ExecuteNonQuery();
            }

            transaction.Commit();
            current = version;
            applied(version);
        }

        return current;
    }

    /// <summary>The highest applied migration, 0 for a new file.</summary>
    public static int Current(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT IFNULL(MAX(version), 0) FROM schema_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
