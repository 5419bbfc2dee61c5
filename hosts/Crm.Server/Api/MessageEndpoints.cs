using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Messaging;

namespace Crm.Server.Api;

/// <summary>
/// Outbound messages: <c>POST /contacts/{id}/messages</c> queues one; the suppression list and dead letters (admins);
/// and the public unsubscribe links <c>/u/{token}</c> (a page, and the RFC 8058 one-click POST).
/// </summary>
internal static class MessageEndpoints
{
    private static readonly string[] MessageFields = ["channel", "purpose", "to", "subject", "body", "html", "data", "messageId"];

    public static void MapMessages(this RouteGroupBuilder api)
    {
        api.MapPost("/contacts/{id}/messages", async (CallerContext rc, string id) =>
        {
            rc.EnsureCanWrite(RecordTypes.Contact);
            var body = await rc.ReadBodyAsync();
            var unknown = body.Select(p => p.Key).Except(MessageFields).FirstOrDefault();
            if (unknown is not null) throw new ValidationException(unknown, "is not a message field");
            var request = new MessageRequest
            {
                Channel = Text(body, "channel") ?? throw new ValidationException("channel", "is required"),
                Purpose = Text(body, "purpose") ?? throw new ValidationException("purpose", "is required: what the contact agreed to be contacted for"),
                To = Text(body, "to"),
                Subject = Text(body, "subject"),
                Body = Text(body, "body") ?? throw new ValidationException("body", "is required"),
                Html = Text(body, "html"),
                DataJson = body["data"] switch
                {
                    null => null,
                    JsonObject o => o.ToJsonString(),
                    _ => throw new ValidationException("data", "must be a JSON object"),
                },
                MessageId = Text(body, "messageId"),
            };
            if (await rc.VisibleAsync(RecordTypes.Contact, id) is null) return Problems.NotFound(RecordTypes.Contact, id);
            var messageId = await rc.Crm.Messages.SendAsync(id, request, rc.Write());
            return Results.Json(new JsonObject { ["messageId"] = messageId, ["status"] = "queued" }, statusCode: 202);
        }).WithName("send-message").WithTags("messages").Accepts<JsonObject>("application/json");

        var messages = api.MapGroup("/messages").WithTags("messages");
        messages.MapGet("/suppressions", async (CallerContext rc, string? channel) =>
        {
            rc.EnsureAdmin();
            var list = await rc.Crm.Messages.GetSuppressionsAsync(channel);
            return Results.Json(new JsonObject { ["items"] = new JsonArray([.. list.Select(s => (JsonNode)ToJson(s))]) });
        }).WithName("list-suppressions");

        messages.MapPut("/suppressions/{channel}/{address}", async (CallerContext rc, string channel, string address) =>
        {
            rc.EnsureAdmin();
            var body = await rc.ReadBodyAsync();
            var reason = Text(body, "reason") ?? throw new ValidationException("reason", "is required: why the address must not be used");
            return Results.Json(ToJson(await rc.Crm.Messages.SuppressAsync(channel, address, reason, rc.Write())));
        }).WithName("suppress-address").Accepts<JsonObject>("application/json");

        messages.MapDelete("/suppressions/{channel}/{address}", async (CallerContext rc, string channel, string address) =>
        {
            rc.EnsureAdmin();
            return await rc.Crm.Messages.UnsuppressAsync(channel, address, rc.Write())
                ? Results.NoContent()
                : Problems.Result(404, "not_found", "Not found", $"{address} is not on the {channel} suppression list.");
        }).WithName("unsuppress-address");

        messages.MapGet("/dead-letters", async (CallerContext rc) =>
        {
            rc.EnsureAdmin();
            var letters = await rc.Crm.Messages.GetDeadLettersAsync();
            return Results.Json(new JsonObject
            {
                ["items"] = new JsonArray([.. letters.Select(d => (JsonNode)new JsonObject
                {
                    ["id"] = d.Id, ["messageId"] = d.MessageId, ["contactId"] = d.ContactId, ["channel"] = d.Channel, ["to"] = d.To,
                    ["subject"] = d.Subject, ["attempts"] = d.Attempts, ["lastError"] = d.LastError, ["failedAt"] = d.FailedAt,
                })]),
            });
        }).WithName("list-dead-letters");

        messages.MapPost("/dead-letters/{deadLetterId}/replay", async (CallerContext rc, long deadLetterId) =>
        {
            rc.EnsureAdmin();
            return await rc.Crm.Messages.ReplayAsync(deadLetterId)
                ? Results.Accepted()
                : Problems.Result(404, "not_found", "Not found", $"No dead letter {deadLetterId}.");
        }).WithName("replay-dead-letter");
    }

    /// <summary>Unsubscribe links: a confirmation page on GET, the withdrawal on POST (one click from a mail client too).</summary>
    public static void MapUnsubscribe(this WebApplication app)
    {
        app.MapGet("/u/{token}", (UnsubscribeLinks links, string token) =>
            links.Read(token) is { } request
                ? Page("Unsubscribe", $"""
                    <p>Stop {Html(request.Purpose)} messages by {Html(request.Channel)} to <b>{Html(request.Address)}</b>?</p>
                    <form method="post"><button type="submit">Unsubscribe</button></form>
                    """)
                : Page("Link not valid", "<p>This unsubscribe link is not valid.</p>", 404))
            .ExcludeFromDescription().AllowAnonymous();

        app.MapPost("/u/{token}", async (UnsubscribeLinks links, ICrmClient crm, string token) =>
        {
            if (links.Read(token) is not { } request) return Page("Link not valid", "<p>This unsubscribe link is not valid.</p>", 404);
            var contact = crm.ForTenant(request.Tenant, new Actor(ActorKind.System, "unsubscribe-link"));
            try
            {
                var current = await contact.MayContactAsync(request.ContactId, request.Address, request.Purpose, request.Channel);
                if (current.Status != ConsentStatus.Withdrawn)
                {
                    await contact.SetConsentAsync(request.ContactId, new ConsentChange
                    {
                        Purpose = request.Purpose,
                        Channel = request.Channel,
                        Address = request.Address,
                        Status = ConsentStatus.Withdrawn,
                        Source = "unsubscribe link",
                        Proof = $"Unsubscribe link of message {request.MessageId}",
                    }, new WriteOptions { CausationId = request.MessageId });
                }
            }
            catch (CrmException)
            {
                // The contact or the address is gone: there is nothing left to send to.
            }

            return Page("Unsubscribed", $"<p>You will get no more {Html(request.Purpose)} messages by {Html(request.Channel)} at <b>{Html(request.Address)}</b>.</p>");
        }).ExcludeFromDescription().AllowAnonymous().DisableAntiforgery();
    }

    private static IResult Page(string title, string body, int status = 200) => Results.Content(
        $"<!doctype html><html><head><meta charset=\"utf-8\"><title>{Html(title)}</title></head><body><h1>{Html(title)}</h1>{body}</body></html>",
        "text/html; charset=utf-8", statusCode: status);

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private static JsonObject ToJson(Suppression s) => new()
    {
        ["channel"] = s.Channel, ["address"] = s.Address, ["reason"] = s.Reason, ["at"] = s.At, ["by"] = s.By,
    };

    private static string? Text(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new ValidationException(field, "must be a string"),
    };
}
