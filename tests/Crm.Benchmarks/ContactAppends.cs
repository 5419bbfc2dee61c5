using Crm.Engine;
using Crm.Engine.Domain;
using Crm.Engine.Storage;
using System.Text.Json.Nodes;

namespace Crm.Benchmarks;

/// <summary>
/// Turns generated contacts into the appends a contact grain would make for a create, using the engine's own
/// validation and projection code, so the store benchmarks write exactly the rows the engine writes.
/// </summary>
internal static class ContactAppends
{
    public const string Tenant = "default";

    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TenantSettings Settings = new();

    /// <summary>One append per contact, each creating a new stream (expected version 0).</summary>
    public static AppendRequest[] Build(IReadOnlyList<ContactInput> contacts)
    {
        var appends = new AppendRequest[contacts.Count];
        Parallel.For(0, contacts.Count, i => appends[i] = Create(contacts[i], i));
        return appends;
    }

    /// <summary>The append of one create, as <c>RecordGrain.CreateAsync</c> builds it.</summary>
    public static AppendRequest Create(ContactInput contact, int index)
    {
        var id = "c" + index.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);
        var streamId = StreamIds.ForRecord(RecordTypes.Contact, id);
        // 20 creates per millisecond, as at 20,000 creates/s: the time-ordered event ids then share milliseconds as
        // they do under load, which decides how scattered their inserts into the event-id index are.
        var now = Epoch.AddTicks(index * 500L);
        var plan = RecordChangePlanner.Plan(RecordTypes.Contact, [], contact.ToFields(), Settings, isCreate: true, now);
        var created = new NewEvent
        {
            EventId = Guid.CreateVersion7(now),
            Type = EventTypes.RecordCreated,
            PayloadJson = new JsonObject { ["fields"] = plan.Next }.ToJsonString(),
            Time = now,
            Actor = Actor.System,
        };

        var state = new RecordState(RecordTypes.Contact, id);
        state.Apply(new CrmEvent
        {
            EventId = created.EventId,
            Tenant = Tenant,
            StreamId = streamId,
            Version = 1,
            Type = created.Type,
            SchemaVersion = created.SchemaVersion,
            Time = created.Time,
            Actor = created.Actor,
            PayloadJson = created.PayloadJson,
        });
        var record = RecordProjection.ToRecord(state, Settings);
        return new AppendRequest
        {
            Tenant = Tenant,
            StreamId = streamId,
            ExpectedVersion = 0,
            Events = [created],
            Row = RecordProjection.ToRow(state, record),
        };
    }
}
