using System.Text.Json.Nodes;
using Crm.Engine.Messaging;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Tests;

/// <summary>
/// The one outbound path: consent checked at send time, the suppression list, the channel's connector with a stable
/// message id, retries, dead letters and their replay, and every outcome in the contact's history.
/// </summary>
public sealed class OutboundMessageTests : IAsyncLifetime
{
    private readonly ScriptedConnector _email = new("email");
    private CrmTestEngine _crm = null!;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(
        configure: o =>
        {
            o.Coordination.OutboxBackoff = TimeSpan.FromMilliseconds(20);
            o.Coordination.OutboxMaxAttempts = 3;
            o.Messaging.PublicBaseUrl = "https://crm.example.test";
            o.Messaging.LinkSecret = "a-secret-of-at-least-thirty-two-characters";
        },
        services: s => s.AddSingleton<IMessageConnector>(_email),
        cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _crm.DisposeAsync();

    /// <summary>A connector whose answer to each attempt a test decides; it records every attempt.</summary>
    private sealed class ScriptedConnector(string channel) : IMessageConnector
    {
        public string Channel => channel;
        public Func<OutboundMessage, int, Exception?> Fail { get; set; } = (_, _) => null;
        public List<OutboundMessage> Attempts { get; } = [];

        public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            int attempt;
            lock (Attempts)
            {
                Attempts.Add(message);
                attempt = Attempts.Count(m => m.MessageId == message.MessageId);
            }

            return Fail(message, attempt) is { } error ? Task.FromException(error) : Task.CompletedTask;
        }

        public List<OutboundMessage> Of(string messageId)
        {
            lock (Attempts) return [.. Attempts.Where(m => m.MessageId == messageId)];
        }
    }

    private async Task<CrmRecord> ConsentingContactAsync(string name, string email)
    {
        var contact = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = name, ["email"] = email });
        await _crm.Client.SetConsentAsync(contact.Id, new ConsentChange
        {
            Purpose = "newsletter", Channel = "email", Status = ConsentStatus.Granted, Source = "signup form", Proof = "Yes, send me the newsletter.",
        });
        return contact;
    }

    private async Task<JsonObject> OutcomeAsync(string contactId, string messageId)
    {
        JsonObject? outcome = null;
        await Eventually.TrueAsync(async () =>
        {
            var history = (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, contactId, limit: 500)).Items;
            var e = history.LastOrDefault(x => x.Type is "contact.messageSent" or "contact.messageBlocked" or "contact.messageFailed"
                && (string?)JsonNode.Parse(x.PayloadJson)!["messageId"] == messageId);
            if (e is null) return false;
            outcome = JsonNode.Parse(e.PayloadJson)!.AsObject();
            outcome["type"] = e.Type;
            return true;
        });
        return outcome!;
    }

    private static MessageRequest Newsletter(string? to = null) => new()
    {
        Channel = "email",
        Purpose = "newsletter",
        To = to,
        Subject = "Hello {{ contact.firstName }}",
        Body = "Dear {{ contact.firstName }}, {{ data.offer }} is yours.",
        DataJson = """{"offer":"10% off"}""",
    };

    [Fact]
    public async Task A_consented_message_goes_out_with_its_merge_fields_a_stable_id_an_unsubscribe_link_and_its_consent_proof()
    {
        var ada = await ConsentingContactAsync("Ada", "ada@example.com");
        var id = await _crm.Client.Messages.SendAsync(ada.Id, Newsletter());

        var outcome = await OutcomeAsync(ada.Id, id);
        Assert.Equal("contact.messageSent", (string?)outcome["type"]);
        Assert.Equal("signup form", (string?)outcome["consent"]!["source"]);
        Assert.Equal("Yes, send me the newsletter.", (string?)outcome["consent"]!["proof"]);
        var sent = Assert.Single(_email.Of(id));
        Assert.Equal(("ada@example.com", "Hello Ada", "Dear Ada, 10% off is yours."), (sent.To, sent.Subject, sent.Body));
        Assert.StartsWith("https://crm.example.test/u/", sent.UnsubscribeUrl);
        var links = _crm.Services.GetRequiredService<UnsubscribeLinks>();
        var unsubscribe = links.Read(sent.UnsubscribeUrl!["https://crm.example.test/u/".Length..]);
        Assert.Equal(new UnsubscribeRequest(_crm.Client.Tenant, ada.Id, "newsletter", "email", "ada@example.com", id), unsubscribe);
        Assert.Null(links.Read(sent.UnsubscribeUrl![("https://crm.example.test/u/".Length)..].Replace('A', 'B')));
    }

    [Fact]
    public async Task Withdrawn_or_unknown_consent_and_suppressed_addresses_block_the_message_saying_why()
    {
        var ben = await ConsentingContactAsync("Ben", "ben@example.com");
        await _crm.Client.SetConsentAsync(ben.Id, new ConsentChange { Purpose = "newsletter", Channel = "email", Status = ConsentStatus.Withdrawn, Source = "unsubscribe link" });
        var stranger = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Sam", ["email"] = "sam@example.com" });
        var cy = await ConsentingContactAsync("Cy", "cy@example.com");
        await _crm.Client.Messages.SuppressAsync("email", "CY@example.com", "hard bounce reported by the provider");

        var withdrawn = await OutcomeAsync(ben.Id, await _crm.Client.Messages.SendAsync(ben.Id, Newsletter()));
        var unknown = await OutcomeAsync(stranger.Id, await _crm.Client.Messages.SendAsync(stranger.Id, Newsletter()));
        var suppressed = await OutcomeAsync(cy.Id, await _crm.Client.Messages.SendAsync(cy.Id, Newsletter()));

        Assert.All([withdrawn, unknown, suppressed], o => Assert.Equal("contact.messageBlocked", (string?)o["type"]));
        Assert.Equal("Withdrawn", (string?)withdrawn["consent"]!["status"]);
        Assert.Equal("Unknown", (string?)unknown["consent"]!["status"]);
        Assert.Contains("suppression list", (string?)suppressed["reason"]);
        Assert.Contains("hard bounce", (string?)suppressed["reason"]);
        lock (_email.Attempts) Assert.Empty(_email.Attempts);
    }

    [Fact]
    public async Task A_connector_failure_is_retried_with_the_same_id_and_the_message_is_recorded_once()
    {
        var dee = await ConsentingContactAsync("Dee", "dee@example.com");
        _email.Fail = (m, attempt) => m.To == "dee@example.com" && attempt == 1 ? new IOException("451 try again later") : null;

        var id = await _crm.Client.Messages.SendAsync(dee.Id, Newsletter());

        Assert.Equal("contact.messageSent", (string?)(await OutcomeAsync(dee.Id, id))["type"]);
        Assert.Equal(2, _email.Of(id).Count);
        var history = (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, dee.Id)).Items;
        Assert.Single(history, e => e.Type == "contact.messageSent");
    }

    [Fact]
    public async Task A_message_that_keeps_failing_becomes_a_dead_letter_and_a_replay_sends_it()
    {
        var eve = await ConsentingContactAsync("Eve", "eve@example.com");
        var broken = true;
        _email.Fail = (m, _) => m.To == "eve@example.com" && Volatile.Read(ref broken) ? new IOException("connection refused") : null;

        var id = await _crm.Client.Messages.SendAsync(eve.Id, Newsletter());
        var failed = await OutcomeAsync(eve.Id, id);
        Assert.Equal("contact.messageFailed", (string?)failed["type"]);
        Assert.Equal(3, (int)failed["attempts"]!);
        DeadLetter? letter = null;
        await Eventually.TrueAsync(async () => (letter = (await _crm.Client.Messages.GetDeadLettersAsync()).SingleOrDefault(d => d.MessageId == id)) is not null);
        Assert.Contains("connection refused", letter!.LastError);
        Assert.Equal((eve.Id, "eve@example.com", 3), (letter.ContactId, letter.To, letter.Attempts));
        Assert.False(await _crm.ForTenant("other").Messages.ReplayAsync(letter.Id));

        Volatile.Write(ref broken, false);
        Assert.True(await _crm.Client.Messages.ReplayAsync(letter.Id));

        await Eventually.TrueAsync(async () => (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, eve.Id)).Items.Any(e => e.Type == "contact.messageSent"));
        Assert.Equal(4, _email.Of(id).Count);
        Assert.All(_email.Of(id), m => Assert.Equal(id, m.MessageId));
        Assert.DoesNotContain(await _crm.Client.Messages.GetDeadLettersAsync(), d => d.MessageId == id);
    }

    [Fact]
    public async Task A_hard_bounce_fails_the_message_at_once_and_suppresses_the_address()
    {
        var fay = await ConsentingContactAsync("Fay", "fay@example.com");
        _email.Fail = (m, _) => m.To == "fay@example.com" ? new PermanentDeliveryException("550 no such mailbox", suppressAddress: true) : null;

        var first = await OutcomeAsync(fay.Id, await _crm.Client.Messages.SendAsync(fay.Id, Newsletter()));
        Assert.Equal(("contact.messageFailed", true), ((string?)first["type"], (bool)first["permanent"]!));
        var entry = Assert.Single(await _crm.Client.Messages.GetSuppressionsAsync("email"), s => s.Address == "fay@example.com");
        Assert.Contains("550", entry.Reason);

        var second = await OutcomeAsync(fay.Id, await _crm.Client.Messages.SendAsync(fay.Id, Newsletter()));
        Assert.Equal("contact.messageBlocked", (string?)second["type"]);
        Assert.Single(_email.Attempts, m => m.To == "fay@example.com");

        Assert.True(await _crm.Client.Messages.UnsuppressAsync("email", "fay@example.com"));
        Assert.DoesNotContain(await _crm.Client.Messages.GetSuppressionsAsync(), s => s.Address == "fay@example.com");
    }

    [Fact]
    public async Task A_message_on_a_channel_without_a_connector_is_kept_as_a_dead_letter_and_a_bad_template_is_refused()
    {
        var gus = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Gus", ["phone"] = "+14155550100" });
        await _crm.Client.SetConsentAsync(gus.Id, new ConsentChange { Purpose = "service", Channel = "sms", Status = ConsentStatus.Granted, Source = "app" });
        var id = await _crm.Client.Messages.SendAsync(gus.Id, new MessageRequest { Channel = "sms", Purpose = "service", Body = "Your order shipped" });

        await Eventually.TrueAsync(async () => (await _crm.Client.Messages.GetDeadLettersAsync()).Any(d => d.MessageId == id));
        Assert.Contains("No connector for channel 'sms'", (await _crm.Client.Messages.GetDeadLettersAsync()).Single(d => d.MessageId == id).LastError);

        var refused = await Assert.ThrowsAsync<ValidationException>(() =>
            _crm.Client.Messages.SendAsync(gus.Id, new MessageRequest { Channel = "sms", Purpose = "service", Body = "Hi {{ contact.firstName " }));
        Assert.Equal("body", Assert.Single(refused.Errors).Field);
        var unknownPurpose = await Assert.ThrowsAsync<ValidationException>(() =>
            _crm.Client.Messages.SendAsync(gus.Id, new MessageRequest { Channel = "sms", Purpose = "spam", Body = "x" }));
        Assert.Equal("purpose", Assert.Single(unknownPurpose.Errors).Field);
    }
}
