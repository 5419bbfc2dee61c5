using System.Data.Common;

namespace Crm.Engine.Storage;

/// <summary>
/// Reads outbox and timer rows, whose columns every store selects in the same order (<see cref="OutboxColumns"/>,
/// <see cref="TimerColumns"/>); times are UTC ticks. Only how an event id is stored differs between stores.
/// </summary>
internal static class CoordinationRows
{
    public const string OutboxColumns =
        "id, subscription, key, kind, tenant, payload, source_event, created_at, status, attempts, next_attempt_at, last_error, completed_at";

    public const string TimerColumns = "tenant, stream_id, name, due_at, payload";

    public static async Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(DbDataReader reader, Func<DbDataReader, int, Guid> readEventId, CancellationToken cancellationToken)
    {
        var entries = new List<OutboxEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new OutboxEntry
            {
                Id = reader.GetInt64(0),
                Subscription = reader.GetString(1),
                Key = reader.GetString(2),
                Kind = reader.GetString(3),
                Tenant = reader.GetString(4),
                PayloadJson = reader.GetString(5),
                SourceEventId = reader.IsDBNull(6) ? null : readEventId(reader, 6),
                CreatedAt = Utc(reader.GetInt64(7)),
                Status = (OutboxStatus)reader.GetInt32(8),
                Attempts = reader.GetInt32(9),
                NextAttemptAt = Utc(reader.GetInt64(10)),
                LastError = reader.IsDBNull(11) ? null : reader.GetString(11),
                CompletedAt = reader.IsDBNull(12) ? null : Utc(reader.GetInt64(12)),
            });
        }

        return entries;
    }

    public static async Task<IReadOnlyList<DurableTimer>> ReadTimersAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var timers = new List<DurableTimer>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            timers.Add(new DurableTimer(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                Utc(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return timers;
    }

    /// <summary>A stored time (UTC ticks), or null for a database NULL.</summary>
    public static DateTimeOffset? Time(object? value) => value is long ticks ? Utc(ticks) : null;

    public static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);
}
