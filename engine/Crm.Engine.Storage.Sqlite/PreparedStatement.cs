using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// A statement of the writer, prepared once on its connection and re-executed with new values. It talks to SQLite
/// through SQLitePCLRaw (the library under Microsoft.Data.Sqlite) by parameter index: the writer runs several
/// statements per append, and the command layer's per-execution work (parameter lookup by name, boxing, a reader
/// object per statement, UTF-8 copies of every string) was a good share of the writer thread's time. Errors are
/// raised as the <see cref="SqliteException"/> Microsoft.Data.Sqlite would raise.
/// </summary>
internal sealed class PreparedStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly int[] _slots;
    private readonly StatementRows _rows;
    private byte[] _utf8 = new byte[1024];

    public PreparedStatement(SqliteConnection connection, string sql, params string[] parameterNames)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _statement, out var tail);
        SqliteException.ThrowExceptionForRC(rc, _db);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            _statement.Dispose();
            throw new ArgumentException($"One statement at a time: '{tail.Trim()}' follows it.", nameof(sql));
        }

        _slots = new int[parameterNames.Length];
        for (var i = 0; i < parameterNames.Length; i++)
        {
            _slots[i] = raw.sqlite3_bind_parameter_index(_statement, parameterNames[i]);
            if (_slots[i] == 0)
            {
                _statement.Dispose();
                throw new ArgumentException($"The statement has no parameter {parameterNames[i]}.", nameof(parameterNames));
            }
        }

        _rows = new StatementRows(this);
    }

    /// <summary>Sets the parameter at <paramref name="index"/> (in the order they were named).</summary>
    public PreparedStatement Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, _slots[index], value));

    /// <inheritdoc cref="Bind(int, long)"/>
    public PreparedStatement Bind(int index, long? value) => value is { } v ? Bind(index, v) : BindNull(index);

    /// <inheritdoc cref="Bind(int, long)"/>
    public PreparedStatement Bind(int index, string? value)
    {
        if (value is null)
        {
            return BindNull(index);
        }

        // Bound as UTF-8, the form SQLite stores: handing it UTF-16 made SQLite convert every string one character
        // at a time, a visible share of the writer's time. SQLite copies the bytes, so one buffer serves every parameter.
        var needed = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < needed)
        {
            _utf8 = new byte[Math.Max(needed, _utf8.Length * 2)];
        }

        var length = Encoding.UTF8.GetBytes(value, _utf8);
        return Check(raw.sqlite3_bind_text(_statement, _slots[index], _utf8.AsSpan(0, length)));
    }

    /// <inheritdoc cref="Bind(int, long)"/>
    public PreparedStatement Bind(int index, byte[]? value) =>
        value is null ? BindNull(index) : Check(raw.sqlite3_bind_blob(_statement, _slots[index], value));

    private PreparedStatement BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, _slots[index]));

    /// <summary>Runs the statement; the number of rows it changed.</summary>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
            {
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>The first column of the first row, or null when there is no row or it is NULL.</summary>
    public object? Scalar()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc == raw.SQLITE_DONE)
            {
                return null;
            }

            if (rc != raw.SQLITE_ROW)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }

            return Column(0);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Steps through the rows; dispose it (the statement is reset) before running the statement again.</summary>
    public StatementRows Reader() => _rows;

    private object? Column(int column) => raw.sqlite3_column_type(_statement, column) switch
    {
        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(_statement, column),
        raw.SQLITE_TEXT => raw.sqlite3_column_text(_statement, column).utf8_to_string(),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(_statement, column),
        raw.SQLITE_BLOB => raw.sqlite3_column_blob(_statement, column).ToArray(),
        _ => null,
    };

    private PreparedStatement Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }

        return this;
    }

    public void Dispose() => _statement.Dispose();

    /// <summary>The rows of a running statement, read by column index.</summary>
    internal sealed class StatementRows(PreparedStatement owner) : IDisposable
    {
        /// <summary>Moves to the next row; false when there is none.</summary>
        public bool Read()
        {
            var rc = raw.sqlite3_step(owner._statement);
            if (rc == raw.SQLITE_ROW)
            {
                return true;
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, owner._db);
            }

            return false;
        }

        public long GetInt64(int column) => raw.sqlite3_column_int64(owner._statement, column);

        public string GetString(int column) => raw.sqlite3_column_text(owner._statement, column).utf8_to_string();

        public void Dispose() => raw.sqlite3_reset(owner._statement);
    }
}
