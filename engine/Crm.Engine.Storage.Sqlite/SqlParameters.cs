using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>Values of a generated statement, named <c>$p0</c>, <c>$p1</c>, … in the order they were added.</summary>
internal sealed class SqlParameters
{
    private readonly List<object?> _values = [];

    /// <summary>Adds a value and returns the parameter name to put into the SQL.</summary>
    public string Add(object? value)
    {
        _values.Add(value);
        return "$p" + (_values.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public void BindTo(SqliteCommand command)
    {
        for (var i = 0; i < _values.Count; i++)
        {
            command.Parameters.AddWithValue("$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), _values[i] ?? DBNull.Value);
        }
    }
}
