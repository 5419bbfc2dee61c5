using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>Opens the writer and reader connections with the store's pragmas.</summary>
internal static class SqliteConnections
{
    // 64 MiB page cache per connection (negative = KiB) and the first 64 MiB of the file memory-mapped. Every
    // connection maps the file on its own and the kernel counts a mapped page in the process's RSS once per mapping:
    // at 256 MiB, a server on 1,000,000 imported contacts showed 966 MiB RSS, 608 MiB of it mapped database pages;
    // at 64 MiB, 692 MiB, with the same search latency and import time.
    private const string CommonPragmas = """
        PRAGMA cache_size = -65536;
        PRAGMA temp_store = MEMORY;
        PRAGMA mmap_size = 67108864;
        PRAGMA foreign_keys = OFF;
        """;

    public static SqliteConnection OpenWriter(SqliteStoreOptions options)
    {
        var connection = Open(options, SqliteOpenMode.ReadWriteCreate);
        var synchronous = options.Synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL";

        // The writer checkpoints the WAL itself after a commit that leaves it over wal_autocheckpoint pages. A group
        // commit writes hundreds of pages, so SQLite's default (1000) would checkpoint every few batches; the default
        // CheckpointPages (8192, 32 MiB) lets a checkpoint copy a page changed by many batches once, and a bulk load
        // can raise it further. The file is cut back to 64 MiB after.
        Execute(connection, $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = {synchronous};
            PRAGMA wal_autocheckpoint = {options.CheckpointPages};
            PRAGMA journal_size_limit = 67108864;
            {CommonPragmas}
            """);
        return connection;
    }

    public static SqliteConnection OpenReader(SqliteStoreOptions options)
    {
        var connection = Open(options, SqliteOpenMode.ReadOnly);
        Execute(connection, CommonPragmas + "PRAGMA query_only = ON;");
        return connection;
    }

    public static string QueryText(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }

    private static SqliteConnection Open(SqliteStoreOptions options, SqliteOpenMode mode)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(options.Path),
            Mode = mode,
            Cache = SqliteCacheMode.Private,

            // The store owns its connections for its whole lifetime; a pool would keep the file open after dispose.
            Pooling = false,
            ForeignKeys = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
