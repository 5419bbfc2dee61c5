using System.Text.Json.Nodes;
using Crm.Engine.Domain;

namespace Crm.Engine.Rules;

/// <summary>A trigger raised by one event: its name, the changed fields (<c>{ field: { from, to } }</c>) and the event's payload.</summary>
internal sealed record RuleTrigger(string Name, JsonObject Changes, JsonObject Payload);

/// <summary>
/// Maps stored events to rule triggers, named <c>{recordType}.{what}</c>: <c>created</c>, <c>updated</c>,
/// <c>deleted</c>, <c>restored</c>, <c>linked</c>, <c>unlinked</c>, <c>timerFired</c>, <c>consentChanged</c>
/// (contacts), <c>logged</c> (a new interaction), <c>saved</c> (created or updated), and the record types' own events (<c>deal.stageChanged</c>,
/// <c>case.statusChanged</c>, <c>contact.scoreChanged</c>…). A rule may use <c>*</c> for the type: <c>*.created</c>.
/// </summary>
internal static class RuleTriggers
{
    /// <summary>The trigger of a rule run by a cron schedule rather than by an event.</summary>
    public const string Schedule = "schedule";

    private static readonly JsonObject NoChanges = [];

    /// <summary>True when <paramref name="trigger"/> names something a rule can listen to.</summary>
    public static bool IsValid(string trigger)
    {
        if (trigger == Schedule) return true;
        var dot = trigger.IndexOf('.');
        if (dot <= 0 || dot == trigger.Length - 1) return false;
        var type = trigger[..dot];
        return type == "*" || RecordTypes.IsKnown(type);
    }

    /// <summary>The triggers an event of a record of <paramref name="recordType"/> raises (none for timer bookkeeping).</summary>
    public static IReadOnlyList<RuleTrigger> For(string recordType, string eventType, JsonObject payload)
    {
        switch (eventType)
        {
            case EventTypes.TimerScheduled or EventTypes.TimerCancelled:
                return [];
            case EventTypes.RecordCreated:
                var created = new RuleTrigger(recordType + ".created", NoChanges, []);
                var saved = created with { Name = recordType + ".saved" };
                return recordType == RecordTypes.Interaction ? [created, saved, created with { Name = "interaction.logged" }] : [created, saved];
            case EventTypes.RecordUpdated:
                var updated = new RuleTrigger(recordType + ".updated", Changes(payload), []);
                return [updated, updated with { Name = recordType + ".saved" }];
            case EventTypes.TimerFired:
                return [new RuleTrigger(recordType + ".timerFired", NoChanges, payload)];
            case EventTypes.ConsentRecorded:
                return [new RuleTrigger("contact.consentChanged", NoChanges, payload)];
        }

        if (eventType.StartsWith("record.", StringComparison.Ordinal))
        {
            return [new RuleTrigger(recordType + eventType["record".Length..], NoChanges, payload)];
        }

        return eventType.StartsWith(recordType + ".", StringComparison.Ordinal) ? [new RuleTrigger(eventType, NoChanges, payload)] : [];
    }

    /// <summary><c>{ path: { from, to } }</c> from a <c>record.updated</c> payload.</summary>
    private static JsonObject Changes(JsonObject payload)
    {
        var result = new JsonObject();
        if (payload["changes"] is not JsonObject changes) return result;
        var previous = payload["previous"] as JsonObject;
        foreach (var (path, to) in changes)
        {
            result[path] = new JsonObject { ["from"] = previous?[path]?.DeepClone(), ["to"] = to?.DeepClone() };
        }

        return result;
    }

    /// <summary>What a rule sees of <paramref name="e"/> raising <paramref name="trigger"/> on a record (type and id empty for a schedule).</summary>
    public static RuleEvent Input(CrmEvent e, RuleTrigger trigger, string recordType, string recordId, JsonObject? before, JsonObject after) => new()
    {
        Trigger = trigger.Name,
        Tenant = e.Tenant,
        RecordType = recordType,
        RecordId = recordId,
        EventId = e.EventId,
        Time = e.Time,
        Actor = e.Actor.ToString(),
        Before = before,
        After = after,
        Changes = trigger.Changes,
        Payload = trigger.Payload,
        Depth = RuleCausation.Depth(e.CausationId),
    };

    /// <summary>Whether a rule listening to <paramref name="on"/> (and <paramref name="fields"/>) hears <paramref name="trigger"/>.</summary>
    public static bool Hears(string on, IReadOnlyList<string> fields, RuleTrigger trigger)
    {
        if (on != trigger.Name)
        {
            var dot = trigger.Name.IndexOf('.');
            if (!on.StartsWith("*.", StringComparison.Ordinal) || dot < 0 || !on.AsSpan(1).SequenceEqual(trigger.Name.AsSpan(dot))) return false;
        }

        return fields.Count == 0 || fields.Any(f => trigger.Changes.ContainsKey(f));
    }
}
