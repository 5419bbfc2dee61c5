using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Grains;

/// <summary>Messages to the contact: queued with their filled-in text, and what became of each, in the contact's history.</summary>
internal sealed partial class ContactGrain
{
    private const int MaxMessageIdLength = 300;

    public async Task<string> RequestMessageAsync(MessageRequest request, WriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messaging = ServiceProvider.GetRequiredService<MessagingOptions>();
        var messageId = request.MessageId ?? "msg-" + RecordIds.New();
        await ExecuteAsync(options, (batch, s) =>
        {
            EnsureLive();
            var errors = new List<FieldError>();
            if (string.IsNullOrWhiteSpace(request.Channel) || request.Channel.Length > 32 || !request.Channel.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                errors.Add(new FieldError("channel", "must be a lower-case channel name such as email or sms"));
            }

            if (ConsentPurposeCheck.Unknown(s, request.Purpose) is { } unknown) errors.Add(unknown);
            if (string.IsNullOrEmpty(request.Body)) errors.Add(new FieldError("body", "is required"));
            if (messageId.Length > MaxMessageIdLength) errors.Add(new FieldError("messageId", $"must be at most {MaxMessageIdLength} characters"));
            if (errors.Count > 0) throw new ValidationException(errors);

            var to = request.To is null
                ? PrimaryAddress(request.Channel)
                : NormalizeAddress(request.Channel, request.To, s) ?? throw new ValidationException("to", $"'{request.To}' is not an address on {request.Channel}");
            var data = ParseData(request.DataJson);
            var contact = State.View(s);
            contact["id"] = Id;
            batch.Add(EventTypes.MessageRequested, new JsonObject
            {
                ["messageId"] = messageId,
                ["channel"] = request.Channel,
                ["purpose"] = request.Purpose,
                ["to"] = to,
                ["subject"] = MessageTemplates.Render(request.Subject, "subject", contact, data, 2_000),
                ["body"] = MessageTemplates.Render(request.Body, "body", contact, data, messaging.MaxBodyLength),
                ["html"] = MessageTemplates.Render(request.Html, "html", contact, data, messaging.MaxBodyLength),
            });
        });
        return messageId;
    }

    public Task RecordMessageOutcomeAsync(string eventType, string payloadJson, WriteOptions options)
    {
        if (eventType is not (EventTypes.MessageSent or EventTypes.MessageBlocked or EventTypes.MessageFailed))
        {
            throw new ArgumentException($"'{eventType}' is not a message outcome.", nameof(eventType));
        }

        return ExecuteAsync(options, (batch, _) =>
        {
            if (!State.Exists) throw new RecordNotFoundException(Type, Id);
            batch.Add(eventType, ParseObject(payloadJson));
        });
    }

    /// <summary>The contact's primary address on a channel; null when it has none (the message is then blocked, saying so).</summary>
    private string? PrimaryAddress(string channel) => channel switch
    {
        Channels.Email => State.GetString("email"),
        Channels.Sms or Channels.Phone or "whatsapp" => State.GetString("phone"),
        _ => null,
    };

    private static JsonObject ParseData(string? json)
    {
        if (json is null) return [];
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new ValidationException("data", "must be a JSON object");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ValidationException("data", "is not valid JSON: " + ex.Message);
        }
    }
}
