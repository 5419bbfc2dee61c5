using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>Reads rows of the <c>events</c> table back into <see cref="CrmEvent"/>s.</summary>
internal static class EventRows
{
    /// <summary>The columns <see cref="ReadAllAsync"/> expects, in order.</summary>
    public const string Columns =
        "position, tenant, stream_id, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload";

    public static async Task<List<CrmEvent>> ReadAllAsync(NpgsqlCommand command, int capacityHint, CancellationToken cancellationToken)
    {
        var events = new List<CrmEvent>(Math.Clamp(capacityHint, 0, 16));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        string? lastActorText = null;
        Actor? lastActor = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Runs of events usually share an actor; parse it once per run.
            var actorText = reader.GetString(8);
            if (actorText != lastActorText)
            {
                lastActorText = actorText;
                lastActor = Actor.Parse(actorText);
            }

            events.Add(new CrmEvent
            {
                Position = reader.GetInt64(0),
                Tenant = reader.GetString(1),
                StreamId = reader.GetString(2),
                Version = reader.GetInt64(3),
                EventId = reader.GetGuid(4),
                Type = reader.GetString(5),
                SchemaVersion = reader.GetInt32(6),
                Time = new DateTimeOffset(reader.GetInt64(7), TimeSpan.Zero),
                Actor = lastActor!,
                CorrelationId = reader.IsDBNull(9) ? null : reader.GetString(9),
                CausationId = reader.IsDBNull(10) ? null : reader.GetString(10),
                PayloadJson = reader.GetString(11),
            });
        }

        return events;
    }
}
