using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>Statements prepared once on one connection and disposed together.</summary>
internal abstract class PreparedStatementSet(SqliteConnection connection) : IDisposable
{
    private readonly List<PreparedStatement> _all = [];

    protected PreparedStatement Prepare(string sql, params string[] parameterNames)
    {
        var statement = new PreparedStatement(connection, sql, parameterNames);
        _all.Add(statement);
        return statement;
    }

    public void Dispose()
    {
        foreach (var statement in _all)
        {
            statement.Dispose();
        }
    }
}
