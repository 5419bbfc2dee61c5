using System.Text.Json.Nodes;

namespace Crm.Engine.Rules;

/// <summary>
/// What a rule sees: one trigger on one record, the record's fields before and after, and the event's payload.
/// Rules see <see cref="Time"/> as "now". Treat every member as read-only.
/// </summary>
public sealed class RuleEvent
{
    /// <summary>The trigger, e.g. <c>deal.stageChanged</c>, <c>contact.updated</c>, <c>case.timerFired</c>.</summary>
    public required string Trigger { get; init; }

    /// <summary>The tenant the record belongs to.</summary>
    public required string Tenant { get; init; }

    /// <summary>The record's type (<c>contact</c>, <c>deal</c>…).</summary>
    public required string RecordType { get; init; }

    /// <summary>The record's id.</summary>
    public required string RecordId { get; init; }

    /// <summary>The id of the event that triggers the rule (in validate and enrich: the event about to be written).</summary>
    public required Guid EventId { get; init; }

    /// <summary>The event's time: a rule's "now".</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>Who caused the event, e.g. <c>user:u1</c> or <c>rule:score@3</c>.</summary>
    public required string Actor { get; init; }

    /// <summary>The record's fields before the event; null when it creates the record.</summary>
    public JsonObject? Before { get; init; }

    /// <summary>The record's fields after the event.</summary>
    public required JsonObject After { get; init; }

    /// <summary>Changed fields: <c>{ "amount": { "from": 10, "to": 20 } }</c>; custom fields as <c>custom.name</c>.</summary>
    public JsonObject Changes { get; init; } = [];

    /// <summary>The event's own data: a stage change's <c>from</c>/<c>to</c>, a fired timer's <c>name</c>/<c>payload</c>, a consent entry.</summary>
    public JsonObject Payload { get; init; } = [];

    /// <summary>How many rule actions led to this event (0 for a change made by a person, an API key or the system).</summary>
    public int Depth { get; init; }
}
