using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>Builds new events with the full audit envelope for one command.</summary>
internal sealed class EventBatch(string tenant, string streamId, long baseVersion, DateTimeOffset now, WriteOptions options, Actor defaultActor)
{
    private readonly List<NewEvent> _events = [];

    public DateTimeOffset Now => now;
    public IReadOnlyList<NewEvent> Events => _events;
    public bool IsEmpty => _events.Count == 0;

    /// <summary>Timers the append sets, cancels and fires (rows written in the same transaction as the events).</summary>
    public List<TimerSchedule> ScheduleTimers { get; } = [];
    public List<string> CancelTimers { get; } = [];
    public TimerFiring? FiresTimer { get; set; }

    /// <summary>The lease the writer must still hold (a timer firing is made under the scheduler's lease).</summary>
    public LeaseFence? Fence { get; set; }

    /// <summary>Who the events of this batch are attributed to.</summary>
    public Actor Actor => options.Actor ?? defaultActor;

    public void Add(string type, JsonObject payload) => Add(type, payload.ToJsonString());

    /// <summary>
    /// While set, events added are attributed to this actor and causation instead of the command's (the changes a
    /// rule makes within a command's append carry the rule and the event that triggered it).
    /// </summary>
    public (Actor Actor, string Causation)? Attribution { get; set; }

    public void Add(string type, string payloadJson) => _events.Add(New(type, payloadJson));

    /// <summary>
    /// Puts another event in the place of <paramref name="planned"/> (an event this command planned, such as a stage
    /// change held for approval); a null <paramref name="type"/> drops it.
    /// </summary>
    public void Replace(NewEvent planned, string? type, JsonObject? payload = null)
    {
        var index = _events.IndexOf(planned);
        if (index < 0) throw new ArgumentException("The event is not part of this batch.", nameof(planned));
        if (type is null) _events.RemoveAt(index);
        else _events[index] = New(type, (payload ?? []).ToJsonString());
    }

    private NewEvent New(string type, string payloadJson) => new()
    {
        EventId = Guid.CreateVersion7(now),
        Type = type,
        SchemaVersion = EventTypes.CurrentSchemaVersion(type),
        PayloadJson = payloadJson,
        Time = now,
        Actor = Attribution?.Actor ?? Actor,
        CorrelationId = options.CorrelationId,
        CausationId = Attribution?.Causation ?? options.CausationId,
    };

    /// <summary>The events as they will read back once committed (for folding before the append).</summary>
    public IEnumerable<CrmEvent> AsCommitted() => _events.Select((e, i) => new CrmEvent
    {
        EventId = e.EventId,
        Tenant = tenant,
        StreamId = streamId,
        Version = baseVersion + i + 1,
        Type = e.Type,
        SchemaVersion = e.SchemaVersion,
        Time = e.Time,
        Actor = e.Actor,
        CorrelationId = e.CorrelationId,
        CausationId = e.CausationId,
        PayloadJson = e.PayloadJson,
    });
}
