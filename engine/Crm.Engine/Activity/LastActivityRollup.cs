using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Storage;

namespace Crm.Engine.Activity;

/// <summary>
/// Keeps <c>lastActivityAt</c> of contacts, accounts, deals and cases: when an interaction (email, call, meeting…) is
/// linked to one of them, the record's <c>lastActivityAt</c> moves to the interaction's <c>occurredAt</c> if that is
/// later. It runs as a log subscription, so it happens once per cluster, and each update carries the outbox row's
/// effect key, so a retry after a crash does not apply it twice.
/// </summary>
internal sealed class LastActivityRollup(ICrmClient crm) : ILogConsumer
{
    public const string SubscriptionName = "crm.lastActivity";
    public const string Field = "lastActivityAt";
    private const string Kind = "activity.touch";
    private static readonly HashSet<string> Targets = [RecordTypes.Contact, RecordTypes.Account, RecordTypes.Deal, RecordTypes.Case];
    private static readonly string InteractionStreams = RecordTypes.Interaction + "/";

    public string Name => SubscriptionName;

    public Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken)
    {
        var outbox = new List<OutboxMessage>();
        foreach (var e in events)
        {
            if (e.Type != EventTypes.RecordLinked || !e.StreamId.StartsWith(InteractionStreams, StringComparison.Ordinal)) continue;
            var payload = JsonNode.Parse(e.PayloadJson)!;
            var targetType = (string?)payload["targetType"];
            if (targetType is null || !Targets.Contains(targetType)) continue;
            outbox.Add(new OutboxMessage
            {
                Key = e.EventId.ToString("N"),
                Kind = Kind,
                Tenant = e.Tenant,
                SourceEventId = e.EventId,
                PayloadJson = new JsonObject
                {
                    ["interactionId"] = e.StreamId[InteractionStreams.Length..],
                    ["targetType"] = targetType,
                    ["targetId"] = (string?)payload["targetId"],
                    ["linkedAt"] = e.Time,
                }.ToJsonString(),
            });
        }

        return Task.FromResult<IReadOnlyList<OutboxMessage>>(outbox);
    }

    /// <summary>Touches of one record run in order; touches of different records run side by side.</summary>
    public string? OrderingKey(OutboxEntry entry)
    {
        var payload = JsonNode.Parse(entry.PayloadJson);
        return entry.Tenant + "/" + (string?)payload?["targetType"] + "/" + (string?)payload?["targetId"];
    }

    public async Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var payload = JsonNode.Parse(entry.PayloadJson)!;
        var tenant = crm.ForTenant(entry.Tenant, Actor.System);
        var targetType = (string)payload["targetType"]!;
        var targetId = (string)payload["targetId"]!;
        var interaction = await tenant.GetAsync(RecordTypes.Interaction, (string)payload["interactionId"]!, cancellationToken: cancellationToken);
        var at = Time(interaction?.Fields["occurredAt"]) ?? payload["linkedAt"]!.GetValue<DateTimeOffset>();
        var target = await tenant.GetAsync(targetType, targetId, cancellationToken: cancellationToken);
        if (target is null || Time(target.Fields[Field]) >= at)
        {
            return; // gone, or already as recent
        }

        await tenant.UpdateAsync(targetType, targetId, new JsonObject { [Field] = FieldValidator.FormatTime(at) },
            new WriteOptions { EffectKey = entry.EffectKey, CausationId = entry.EffectKey, Actor = Actor.System }, cancellationToken);
    }

    private static DateTimeOffset? Time(JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var text) &&
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : null;
}
