using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>Reads read-model rows back into <see cref="RecordRow"/>s, with their uniqueness claims and links.</summary>
internal static class RecordRows
{
    private const string KeysOfStreams =
        "SELECT stream_id, kind, value FROM unique_keys WHERE tenant = $t AND stream_id IN (SELECT value FROM json_each($streams))";

    private const string LinksOfStreams =
        "SELECT owner_stream, target_stream, role FROM links WHERE tenant = $t AND owner_stream IN (SELECT value FROM json_each($streams))";

    /// <summary>Reads a row laid out as <see cref="RecordQuerySql.RowColumns"/>.</summary>
    public static RecordRow Read(SqliteDataReader reader) => new()
    {
        Type = reader.GetString(1),
        Id = reader.GetString(2),
        Version = reader.GetInt64(3),
        Deleted = reader.GetInt64(4) != 0,
        CreatedAt = new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
        DataJson = reader.GetString(7),
        SearchText = reader.GetString(8),
    };

    /// <summary>The rows with the claims and links their streams hold.</summary>
    public static List<RecordRow> WithKeysAndLinks(ReadConnection connection, string tenant, List<RecordRow> rows)
    {
        if (rows.Count == 0)
        {
            return rows;
        }

        var streams = RowClaims.StreamsOf(rows);
        var streamsJson = JsonSerializer.Serialize(streams);
        var claims = new RowClaims();

        var keyCommand = connection.Command(KeysOfStreams);
        keyCommand.Parameters.AddWithValue("$t", tenant);
        keyCommand.Parameters.AddWithValue("$streams", streamsJson);
        using (var reader = keyCommand.ExecuteReader())
        {
            while (reader.Read())
            {
                claims.AddKey(reader.GetString(0), reader.GetString(1), reader.GetString(2));
            }
        }

        var linkCommand = connection.Command(LinksOfStreams);
        linkCommand.Parameters.AddWithValue("$t", tenant);
        linkCommand.Parameters.AddWithValue("$streams", streamsJson);
        using (var reader = linkCommand.ExecuteReader())
        {
            while (reader.Read())
            {
                claims.AddLink(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
            }
        }

        return claims.AttachTo(rows, streams);
    }
}
