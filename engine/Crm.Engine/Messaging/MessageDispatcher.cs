using System.Text.Json.Nodes;
using Crm.Engine.Client;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Grains;
using Crm.Engine.Hosting;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Messaging;

/// <summary>
/// The one outbound path every message takes, as a log subscription (once per cluster): each
/// <c>contact.messageRequested</c> becomes an outbox row, and executing the row checks consent (address × purpose ×
/// channel, at send time) and the suppression list, waits for the tenant's and channel's pace, hands the message to
/// the channel's connector with its stable id, and records the outcome in the contact's history with the consent it
/// was sent under. A failing connector is retried with back-off; after the last attempt the row is a dead letter that
/// can be replayed. At-least-once: a crash after sending and before recording repeats that send, with the same id.
/// </summary>
internal sealed partial class MessageDispatcher(
    IGrainFactory grains,
    ICrmClient crm,
    IEnumerable<IMessageConnector> connectors,
    MessageThrottle throttle,
    UnsubscribeLinks links,
    CrmEngineOptions engine,
    ILogger<MessageDispatcher> logger) : ILogConsumer
{
    public const string SubscriptionName = "crm.messages";
    public const string Kind = "message.send";
    private static readonly string ContactStreams = RecordTypes.Contact + "/";

    private readonly Dictionary<string, IMessageConnector> _connectors =
        connectors.GroupBy(c => c.Channel).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    public string Name => SubscriptionName;

    public Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken)
    {
        var outbox = new List<OutboxMessage>();
        foreach (var e in events.Where(e => e.Type == EventTypes.MessageRequested && e.StreamId.StartsWith(ContactStreams, StringComparison.Ordinal)))
        {
            var payload = JsonNode.Parse(e.PayloadJson)!.AsObject();
            payload["contactId"] = e.StreamId[ContactStreams.Length..];
            payload["requestedBy"] = e.Actor.ToString();
            outbox.Add(new OutboxMessage
            {
                Key = e.Tenant + "/" + (string)payload["messageId"]!,
                Kind = Kind,
                Tenant = e.Tenant,
                SourceEventId = e.EventId,
                PayloadJson = payload.ToJsonString(),
            });
        }

        return Task.FromResult<IReadOnlyList<OutboxMessage>>(outbox);
    }

    /// <summary>Messages to one contact go out in the order they were requested.</summary>
    public string? OrderingKey(OutboxEntry entry) => entry.Tenant + "/" + (string?)JsonNode.Parse(entry.PayloadJson)?["contactId"];

    public async Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var p = JsonNode.Parse(entry.PayloadJson)!.AsObject();
        var tenant = entry.Tenant;
        var contactId = (string)p["contactId"]!;
        var messageId = (string)p["messageId"]!;
        var channel = (string)p["channel"]!;
        var purpose = (string)p["purpose"]!;
        var to = (string?)p["to"];
        var contact = grains.GetGrain<IContactGrain>(RecordIds.GrainKey(tenant, contactId));

        Task RecordAsync(string outcome, JsonObject details, string step)
        {
            details["messageId"] = messageId;
            details["channel"] = channel;
            details["purpose"] = purpose;
            details["to"] = to;
            return contact.RecordMessageOutcomeAsync(outcome, details.ToJsonString(), new WriteOptions
            {
                Actor = Actor.System,
                CausationId = messageId,
                EffectKey = entry.EffectKey + "/" + step,
            });
        }

        if (to is null)
        {
            await RecordAsync(EventTypes.MessageBlocked, new JsonObject { ["code"] = BlockedCodes.NoAddress, ["reason"] = $"the contact has no address on {channel}" }, "blocked");
            return;
        }

        ConsentDecision consent;
        try
        {
            consent = await contact.MayContactAsync(to, purpose, channel, null);
        }
        catch (RecordNotFoundException)
        {
            await RecordAsync(EventTypes.MessageBlocked, new JsonObject { ["code"] = BlockedCodes.ContactDeleted, ["reason"] = "the contact was deleted" }, "blocked");
            return;
        }

        if (!consent.Allowed)
        {
            await RecordAsync(EventTypes.MessageBlocked, new JsonObject
            {
                ["code"] = BlockedCodes.NoConsent,
                ["reason"] = consent.Reason,
                ["consent"] = Consent(consent),
            }, "blocked");
            return;
        }

        var suppressed = await grains.GetGrain<ISuppressionListGrain>(tenant).FindAsync(channel, to);
        if (suppressed is not null)
        {
            await RecordAsync(EventTypes.MessageBlocked, new JsonObject { ["code"] = BlockedCodes.Suppressed, ["reason"] = $"{to} is on the suppression list: {suppressed.Reason}" }, "blocked");
            return;
        }

        var attempt = entry.Attempts + 1;
        var lastAttempt = attempt >= engine.Coordination.OutboxMaxAttempts;
        try
        {
            if (!_connectors.TryGetValue(channel, out var connector))
            {
                throw new InvalidOperationException($"No connector for channel '{channel}' is installed.");
            }

            await throttle.WaitAsync(tenant, channel, cancellationToken);
            await connector.SendAsync(new OutboundMessage
            {
                MessageId = messageId,
                Tenant = tenant,
                Channel = channel,
                Purpose = purpose,
                ContactId = contactId,
                To = to,
                Subject = (string?)p["subject"],
                Body = (string?)p["body"] ?? "",
                Html = (string?)p["html"],
                UnsubscribeUrl = links.For(new UnsubscribeRequest(tenant, contactId, purpose, channel, to, messageId)),
                ConsentEventId = consent.DecidingEventId,
                RequestedBy = (string?)p["requestedBy"],
            }, cancellationToken);
        }
        catch (PermanentDeliveryException ex)
        {
            if (ex.SuppressAddress)
            {
                await grains.GetGrain<ISuppressionListGrain>(tenant).AddAsync(channel, to, "undeliverable: " + ex.Message, new WriteOptions { Actor = Actor.System, CausationId = messageId });
            }

            await RecordAsync(EventTypes.MessageFailed, new JsonObject { ["reason"] = ex.Message, ["permanent"] = true, ["suppressed"] = ex.SuppressAddress }, "failed");
            return;
        }
        catch (Exception ex) when (lastAttempt && ex is not OperationCanceledException)
        {
            // The outbox marks the row failed (a dead letter) when this throws; the history says so first.
            await RecordAsync(EventTypes.MessageFailed, new JsonObject { ["reason"] = ex.Message, ["permanent"] = false, ["attempts"] = attempt }, "failed/" + attempt);
            throw;
        }

        await RecordAsync(EventTypes.MessageSent, new JsonObject { ["consent"] = Consent(consent), ["attempts"] = attempt }, "sent");
        await LogInteractionAsync(entry, tenant, contactId, messageId, channel, p);
        LogSent(logger, messageId, channel, tenant);
    }

    /// <summary>The sent message as an outbound interaction on the contact's timeline (and its last activity).</summary>
    private async Task LogInteractionAsync(OutboxEntry entry, string tenant, string contactId, string messageId, string channel, JsonObject p)
    {
        var client = crm.ForTenant(tenant, Actor.System);
        var id = RecordIds.FromKey(entry.EffectKey + "/interaction");
        var write = new WriteOptions { Actor = Actor.System, CausationId = messageId, EffectKey = entry.EffectKey + "/interaction" };
        await client.CreateOnceAsync(RecordTypes.Interaction, new JsonObject
        {
            ["kind"] = channel is Channels.Email or Channels.Sms ? channel : "note",
            ["direction"] = "outbound",
            ["channel"] = channel,
            ["messageId"] = messageId,
            ["subject"] = (string?)p["subject"] ?? $"Message on {channel}",
            ["body"] = (string?)p["body"],
        }, id, write, CancellationToken.None);

        await client.LinkAsync(RecordTypes.Interaction, id, new RecordLink(RecordTypes.Contact, contactId), write with { EffectKey = entry.EffectKey + "/interaction/link" });
    }

    private static JsonObject Consent(ConsentDecision decision) => new()
    {
        ["status"] = decision.Status.ToString(),
        ["eventId"] = decision.DecidingEventId?.ToString("D"),
        ["lawfulBasis"] = decision.DecidingEntry?.LawfulBasis.ToString(),
        ["source"] = decision.DecidingEntry?.Source,
        ["proof"] = decision.DecidingEntry?.Proof,
        ["reason"] = decision.Reason,
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Message {MessageId} sent on {Channel} for tenant {Tenant}")]
    private static partial void LogSent(ILogger logger, string messageId, string channel, string tenant);
}
