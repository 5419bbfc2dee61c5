using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>A read-only connection with its prepared statements, kept by SQL text so repeated queries skip parsing.</summary>
internal sealed class ReadConnection(SqliteConnection connection) : IDisposable
{
    private const int MaxCachedStatements = 128;

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>A command for <paramref name="sql"/> with no parameters bound yet.</summary>
    public SqliteCommand Command(string sql)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            command.Parameters.Clear();
            return command;
        }

        if (_commands.Count >= MaxCachedStatements)
        {
            // Filter queries vary; bound the cache rather than keep every shape ever asked for.
            DisposeCommands();
        }

        command = connection.CreateCommand();
        command.CommandText = sql;
        _commands.Add(sql, command);
        return command;
    }

    /// <summary>Runs several statements against one snapshot of the database.</summary>
    public T InSnapshot<T>(Func<ReadConnection, T> read)
    {
        Command("BEGIN").ExecuteNonQuery();
        try
        {
            return read(this);
        }
        finally
        {
            Command("COMMIT").ExecuteNonQuery();
        }
    }

    public void Dispose()
    {
        DisposeCommands();
        connection.Dispose();
    }

    private void DisposeCommands()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }
}
