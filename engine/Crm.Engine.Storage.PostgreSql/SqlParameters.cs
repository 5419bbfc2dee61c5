using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>Values of a generated statement, named <c>@p0</c>, <c>@p1</c>, … in the order they were added.</summary>
internal sealed class SqlParameters
{
    private readonly List<NpgsqlParameter> _values = [];

    /// <summary>Adds a value and returns the parameter name to put into the SQL.</summary>
    public string Add(object? value, NpgsqlDbType? type = null)
    {
        var name = "p" + _values.Count.ToString(CultureInfo.InvariantCulture);
        var parameter = new NpgsqlParameter(name, value ?? DBNull.Value);
        if (type is { } t)
        {
            parameter.NpgsqlDbType = t;
        }

        _values.Add(parameter);
        return "@" + name;
    }

    /// <summary>Adds a JSON value, compared as <c>jsonb</c>.</summary>
    public string AddJson(string json) => Add(json, NpgsqlDbType.Jsonb);

    public void BindTo(NpgsqlCommand command)
    {
        foreach (var parameter in _values)
        {
            command.Parameters.Add(parameter.Clone());
        }
    }
}
