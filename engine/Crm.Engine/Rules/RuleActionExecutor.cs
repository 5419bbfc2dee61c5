using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Messaging;
using Crm.Engine.Client;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Grains;
using Crm.Engine.Storage;

namespace Crm.Engine.Rules;

/// <summary>
/// Executes a react rule's stored decision. Every write carries the rule as actor, the triggering event (and cascade
/// depth) as causation, and an effect key derived from the outbox row, so a retry after a crash applies nothing twice;
/// records it creates get ids derived from the same key. Messages and webhooks carry the key downstream.
/// </summary>
internal sealed class RuleActionExecutor(IGrainFactory grains, ICrmClient crm, RuleOptions options)
{
    private static readonly HttpClient Http = new();

    private sealed record Decision(string Key, string Tenant, string RuleId, int Version, Guid EventId, string Trigger, string RecordType, string RecordId, int Depth)
    {
        public Actor Actor => Actor.Rule(RuleId, Version);

        public WriteOptions Write(string step) => new()
        {
            Actor = Actor,
            CausationId = RuleCausation.Format(EventId, Depth),
            CorrelationId = EventId.ToString("D"),
            EffectKey = Key + "/" + step,
        };
    }

    public async Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var payload = JsonNode.Parse(entry.PayloadJson)!.AsObject();
        var d = new Decision(entry.EffectKey, entry.Tenant, (string)payload["rule"]!, (int)payload["version"]!, Guid.Parse((string)payload["eventId"]!),
            (string)payload["trigger"]!, (string)payload["recordType"]!, (string)payload["recordId"]!, (int)payload["depth"]!);
        var client = crm.ForTenant(entry.Tenant, d.Actor);
        var actions = ((JsonArray)payload["actions"]!).Select(a => RuleAction.Of((string)a!["kind"]!, (JsonObject)a["args"]!.DeepClone())).ToList();

        var onRecord = new List<RuleAction>();
        (string Kind, string Id, string Member)? roundRobin = null;
        foreach (var action in actions.Where(a => a.Kind is RuleActionKinds.Set or RuleActionKinds.AddTag or RuleActionKinds.RemoveTag
                     or RuleActionKinds.Score or RuleActionKinds.SetTimer or RuleActionKinds.CancelTimer or RuleActionKinds.Assign))
        {
            var args = action.Args();
            if (action.Kind == RuleActionKinds.Assign && args["userId"] is null)
            {
                var kind = args["queue"] is not null ? RecordTypes.Queue : RecordTypes.Team;
                var groupId = (string)args[kind]!;
                var member = await NextMemberAsync(client, kind, groupId, cancellationToken);
                roundRobin = (kind, groupId, member);
                onRecord.Add(RuleAction.Of(RuleActionKinds.Assign, new JsonObject { ["userId"] = member, ["queue"] = kind == RecordTypes.Queue ? groupId : null }));
            }
            else
            {
                onRecord.Add(action);
            }
        }

        if (onRecord.Count > 0)
        {
            try
            {
                await RecordGrainRouting.Get(grains, d.Tenant, d.RecordType, d.RecordId)!.ApplyRuleActionsAsync(d.RuleId, d.Version, onRecord, d.Write("record"));
            }
            catch (RecordNotFoundException)
            {
                // The record was deleted since: there is nothing left to change on it.
            }
        }

        if (roundRobin is { } rr)
        {
            await client.UpdateAsync(rr.Kind, rr.Id, new JsonObject { ["lastAssignedId"] = rr.Member }, d.Write("roundRobin"), cancellationToken);
        }

        for (var i = 0; i < actions.Count; i++)
        {
            var args = actions[i].Args();
            var step = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            switch (actions[i].Kind)
            {
                case RuleActionKinds.CreateTask:
                    await CreateLinkedAsync(client, d, RecordTypes.Task, (JsonObject)args["fields"]!, step, cancellationToken);
                    break;
                case RuleActionKinds.CreateRecord:
                    await CreateLinkedAsync(client, d, (string)args["type"]!, (JsonObject)args["fields"]!, step, cancellationToken);
                    break;
                case RuleActionKinds.UpdateRecord:
                    await client.UpdateAsync((string)args["type"]!, (string)args["id"]!, (JsonObject)args["fields"]!, d.Write(step), cancellationToken);
                    break;
                case RuleActionKinds.Send:
                    await SendAsync(client, d, args, step, cancellationToken);
                    break;
                case RuleActionKinds.Webhook:
                    await CallWebhookAsync(d, args, step, cancellationToken);
                    break;
            }
        }
    }

    private static async Task<string> NextMemberAsync(ICrmClient client, string kind, string id, CancellationToken cancellationToken)
    {
        var group = await client.GetAsync(kind, id, cancellationToken: cancellationToken)
            ?? throw new RecordNotFoundException(kind, id);
        var members = (group.Fields["memberIds"] as JsonArray)?.Select(m => (string)m!).ToList() ?? [];
        if (members.Count == 0) throw new ValidationException("assign", $"{kind} '{id}' has no members to assign to");
        var last = (string?)group.Fields["lastAssignedId"];
        return members[(members.IndexOf(last ?? "") + 1) % members.Count];
    }

    /// <summary>Creates a record with an id derived from the row's key, and links it with the triggering record.</summary>
    private static async Task<string> CreateLinkedAsync(ICrmClient client, Decision d, string type, JsonObject fields, string step, CancellationToken cancellationToken)
    {
        var id = RecordIds.FromKey(d.Key + "/" + step);
        await client.CreateOnceAsync(type, fields, id, d.Write(step), cancellationToken);

        if (d.RecordType.Length == 0)
        {
            // A schedule rule: there is no triggering record to link to.
        }
        else if (RecordGrain.CanLink(type, d.RecordType))
        {
            await client.LinkAsync(type, id, new RecordLink(d.RecordType, d.RecordId), d.Write(step + "/link"), cancellationToken);
        }
        else if (RecordGrain.CanLink(d.RecordType, type))
        {
            await client.LinkAsync(d.RecordType, d.RecordId, new RecordLink(type, id), d.Write(step + "/link"), cancellationToken);
        }

        return id;
    }

    /// <summary>
    /// Queues the message on the contact through the one outbound path (consent, suppression, pace, connector,
    /// outcome in the contact's history); its id is derived from the row, so a retry queues nothing twice.
    /// </summary>
    private async Task SendAsync(ICrmClient client, Decision d, JsonObject args, string step, CancellationToken cancellationToken)
    {
        var contactId = (string?)args["contactId"] ?? await ContactOfAsync(client, d, cancellationToken)
            ?? throw new ValidationException("contactId", $"the {d.RecordType} '{d.RecordId}' has no contact to send to");
        await client.Messages.SendAsync(contactId, new MessageRequest
        {
            Channel = (string?)args["channel"] ?? Channels.Email,
            Purpose = (string?)args["purpose"] ?? "marketing",
            To = (string?)args["to"],
            Subject = (string?)args["subject"],
            Body = (string?)args["body"] ?? "",
            Html = (string?)args["html"],
            DataJson = (args["data"] as JsonObject)?.ToJsonString(),
            MessageId = d.Key + "/" + step,
        }, d.Write(step), cancellationToken);
    }

    private static async Task<string?> ContactOfAsync(ICrmClient client, Decision d, CancellationToken cancellationToken)
    {
        if (d.RecordType == RecordTypes.Contact) return d.RecordId;
        if (d.RecordType.Length == 0) return null;
        var record = await client.GetAsync(d.RecordType, d.RecordId, cancellationToken: cancellationToken);
        return (string?)record?.Fields["contactId"] ?? record?.Links.FirstOrDefault(l => l.TargetType == RecordTypes.Contact)?.TargetId;
    }

    private async Task CallWebhookAsync(Decision d, JsonObject args, string step, CancellationToken cancellationToken)
    {
        var url = (string)args["url"]!;
        var key = d.Key + "/" + step;
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["id"] = key,
                ["tenant"] = d.Tenant,
                ["rule"] = d.RuleId,
                ["ruleVersion"] = d.Version,
                ["eventId"] = d.EventId.ToString("D"),
                ["trigger"] = d.Trigger,
                ["record"] = new JsonObject { ["type"] = d.RecordType, ["id"] = d.RecordId },
                ["body"] = args["body"]?.DeepClone(),
            }),
        };
        request.Headers.Add("webhook-id", key);
        request.Headers.Add("webhook-timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.WebhookTimeout);
        using var response = await Http.SendAsync(request, timeout.Token);
        response.EnsureSuccessStatusCode();
    }
}
