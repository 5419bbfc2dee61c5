using Microsoft.Data.Sqlite;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>Reads rows of the <c>events</c> table back into <see cref="CrmEvent"/>s.</summary>
internal static class EventRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order.</summary>
    public const string Columns =
        "position, tenant, stream_id, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload";

    public static List<CrmEvent> ReadAll(SqliteCommand command, int capacityHint)
    {
        var events = new List<CrmEvent>(Math.Clamp(capacityHint, 0, 16));
        using var reader = command.ExecuteReader();
        string? lastActorText = null;
        Actor? lastActor = null;
        while (reader.Read())
        {
            // Runs of events usually share an actor; parse it once per run.
            var actorText = reader.GetString(8);
            if (actorText != lastActorText)
            {
                lastActorText = actorText;
                lastActor = Actor.Parse(actorText);
            }

            events.Add(Read(reader, lastActor!));
        }

        return events;
    }

    private static CrmEvent Read(SqliteDataReader reader, Actor actor) => new()
    {
        Position = reader.GetInt64(0),
        Tenant = reader.GetString(1),
        StreamId = reader.GetString(2),
        Version = reader.GetInt64(3),
        EventId = new Guid(reader.GetFieldValue<byte[]>(4), bigEndian: true),
        Type = reader.GetString(5),
        SchemaVersion = reader.GetInt32(6),
        Time = new DateTimeOffset(reader.GetInt64(7), TimeSpan.Zero),
        Actor = actor,
        CorrelationId = reader.IsDBNull(9) ? null : reader.GetString(9),
        CausationId = reader.IsDBNull(10) ? null : reader.GetString(10),
        PayloadJson = reader.GetString(11),
    };
}
