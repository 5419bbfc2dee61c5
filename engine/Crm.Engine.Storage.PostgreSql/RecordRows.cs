using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>Reads read-model rows back into <see cref="RecordRow"/>s, with their uniqueness claims and links.</summary>
internal static class RecordRows
{
    /// <summary>Reads a row laid out as <see cref="RecordQuerySql.RowColumns"/>.</summary>
    public static RecordRow Read(NpgsqlDataReader reader) => new()
    {
        Type = reader.GetString(1),
        Id = reader.GetString(2),
        Version = reader.GetInt64(3),
        Deleted = reader.GetBoolean(4),
        CreatedAt = new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
        DataJson = reader.GetString(7),
        SearchText = reader.GetString(8),
    };

    /// <summary>The rows with the claims and links their streams hold.</summary>
    public static async Task<List<RecordRow>> WithKeysAndLinksAsync(NpgsqlConnection connection, string schema, string tenant, List<RecordRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return rows;
        }

        var streams = RowClaims.StreamsOf(rows);
        var claims = new RowClaims();

        await using (var keyCommand = new NpgsqlCommand($"SELECT stream_id, kind, value FROM {schema}.unique_keys WHERE tenant = @t AND stream_id = ANY(@streams)", connection))
        {
            keyCommand.Parameters.AddWithValue("t", tenant);
            keyCommand.Parameters.AddWithValue("streams", streams);
            await using var reader = await keyCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                claims.AddKey(reader.GetString(0), reader.GetString(1), reader.GetString(2));
            }
        }

        await using (var linkCommand = new NpgsqlCommand($"SELECT owner_stream, target_stream, role FROM {schema}.links WHERE tenant = @t AND owner_stream = ANY(@streams)", connection))
        {
            linkCommand.Parameters.AddWithValue("t", tenant);
            linkCommand.Parameters.AddWithValue("streams", streams);
            await using var reader = await linkCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                claims.AddLink(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
            }
        }

        return claims.AttachTo(rows, streams);
    }
}
