using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;

namespace Crm.Engine.CrashHost;

/// <summary>
/// Many concurrent writers appending contact events straight to the SQLite store, shaped as the engine writes them
/// (events plus the read-model row folded from them), so an engine opened afterwards can check the row against its
/// own fold. Each writer owns its streams and appends with the version it last wrote, one or two events at a time.
/// </summary>
internal static class StoreLoad
{
    private const string Tenant = "default";
    private const double CreateShare = 0.3;
    private static readonly TenantSettings Settings = new();

    public static async Task<int> RunAsync(CrashHostArguments arguments, CancellationToken stop)
    {
        await using var store = SqliteEventStore.Open(new SqliteStoreOptions { Path = Path.Combine(arguments.DataDirectory, "crm.db") });
        HostOutput.Print(HostOutput.Ready);

        var writers = Enumerable.Range(0, arguments.Writers).Select(w => Task.Run(() => WriteAsync(store, w, stop), stop));
        try
        {
            await Task.WhenAll(writers);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return 0;
    }

    private static async Task WriteAsync(IEventStore store, int writer, CancellationToken stop)
    {
        var streams = new List<RecordState>();
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var marker = string.Create(CultureInfo.InvariantCulture, $"w{writer}n{n}");
            var now = DateTimeOffset.UtcNow;
            RecordState state;
            List<NewEvent> events;
            if (streams.Count == 0 || Random.Shared.NextDouble() < CreateShare)
            {
                state = new RecordState(RecordTypes.Contact, RecordIds.New());
                var fields = new JsonObject { ["firstName"] = "Writer" + writer.ToString(CultureInfo.InvariantCulture), ["lastName"] = "Load", ["title"] = marker };
                events = [Event(EventTypes.RecordCreated, new JsonObject { ["fields"] = fields }, now)];
            }
            else
            {
                state = streams[Random.Shared.Next(streams.Count)];
                var previous = state.GetString("title");
                events = [];
                // Now and then two events in one append, so a batch-mate carries more than one version.
                if (Random.Shared.Next(4) == 0)
                {
                    events.Add(TitleChange(previous, marker + "a", now));
                    previous = marker + "a";
                }

                events.Add(TitleChange(previous, marker, now));
            }

            var streamId = StreamIds.ForRecord(state.Type, state.Id);
            var expected = state.Version;
            foreach (var e in Committed(streamId, expected, events)) state.Apply(e);
            await store.AppendAsync(new AppendRequest
            {
                Tenant = Tenant,
                StreamId = streamId,
                ExpectedVersion = expected,
                Events = events,
                Row = RecordProjection.ToRow(state, RecordProjection.ToRecord(state, Settings)),
            }, CancellationToken.None);
            if (expected == 0) streams.Add(state);
            HostOutput.Acknowledged(streamId, state.Version, marker);
        }
    }

    private static NewEvent TitleChange(string? previous, string title, DateTimeOffset now) =>
        Event(EventTypes.RecordUpdated, new JsonObject
        {
            ["changes"] = new JsonObject { ["title"] = title },
            ["previous"] = new JsonObject { ["title"] = previous },
        }, now);

    private static NewEvent Event(string type, JsonObject payload, DateTimeOffset now) => new()
    {
        EventId = Guid.CreateVersion7(now),
        Type = type,
        SchemaVersion = EventTypes.CurrentSchemaVersion(type),
        PayloadJson = payload.ToJsonString(),
        Time = now,
        Actor = Actor.System,
    };

    private static IEnumerable<CrmEvent> Committed(string streamId, long expected, IReadOnlyList<NewEvent> events) =>
        events.Select((e, i) => new CrmEvent
        {
            EventId = e.EventId,
            Tenant = Tenant,
            StreamId = streamId,
            Version = expected + i + 1,
            Type = e.Type,
            SchemaVersion = e.SchemaVersion,
            Time = e.Time,
            Actor = e.Actor,
            PayloadJson = e.PayloadJson,
        });
}
