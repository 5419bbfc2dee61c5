using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Engine;
using Crm.Engine.Messaging;
using Crm.Engine.Rules;

namespace Crm.Plugins.Email.IntegrationTests;

/// <summary>
/// Outbound mail through the engine's one path and the plugin's SMTP connector, to a real SMTP server: merge fields,
/// a Message-ID that stays the same on a retry, unsubscribe headers, consent, and what SMTP refusals mean.
/// </summary>
public sealed partial class OutboundEmailTests(MailServers.MailServers servers) : IAsyncLifetime
{
    private EmailTestBed _bed = null!;

    public async ValueTask InitializeAsync() => _bed = await EmailTestBed.StartAsync(servers);

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private static MessageRequest Newsletter() => new()
    {
        Channel = "email",
        Purpose = "newsletter",
        Subject = "Hello {{ contact.firstName }}",
        Body = "Dear {{ contact.firstName }}, {{ data.offer }} is yours.",
        Html = "<html><body><p>Dear <b>{{ contact.firstName }}</b>, {{ data.offer }} is yours.</p></body></html>",
        DataJson = """{"offer":"10% off"}""",
    };

    [Fact]
    public async Task A_message_sent_through_the_engine_arrives_with_its_merge_fields_a_stable_message_id_and_unsubscribe_headers()
    {
        var ada = await _bed.ContactAsync("Ada", _bed.Address("ada"), "newsletter");

        var id = await _bed.Crm.Messages.SendAsync(ada.Id, Newsletter());

        Assert.Equal("contact.messageSent", (string?)(await _bed.OutcomeAsync(ada.Id, id))["type"]);
        var received = await _bed.Smtp.WaitForAsync(_bed.Address("ada"));
        var mail = received.Message;
        Assert.Equal("Hello Ada", mail.Subject);
        Assert.Equal(("Acme Support", "support@acme.test"), (mail.From.Mailboxes.Single().Name, mail.From.Mailboxes.Single().Address));
        Assert.Equal("support@acme.test", received.MailFrom);
        Assert.Equal($"{id}@{EmailTestBed.MessageIdDomain}", mail.MessageId);
        Assert.StartsWith("Dear Ada, 10% off is yours.", mail.TextBody);
        Assert.Contains("<b>Ada</b>, 10% off is yours.", mail.HtmlBody);

        var link = UnsubscribeLink().Match(mail.TextBody!).Value;
        Assert.StartsWith("https://crm.example.test/u/", link);
        Assert.Equal($"<{link}>", mail.Headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", mail.Headers["List-Unsubscribe-Post"]);
        Assert.Contains($"<a href=\"{link}\">", mail.HtmlBody);
        Assert.True(mail.HtmlBody!.IndexOf(link, StringComparison.Ordinal) < mail.HtmlBody.IndexOf("</body>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_the_server_defers_is_sent_again_with_the_same_message_id()
    {
        var dee = await _bed.ContactAsync("Dee", _bed.Address("defer-dee"), "newsletter");

        var id = await _bed.Crm.Messages.SendAsync(dee.Id, Newsletter());

        var outcome = await _bed.OutcomeAsync(dee.Id, id);
        Assert.Equal(("contact.messageSent", 2), ((string?)outcome["type"], (int)outcome["attempts"]!));
        var copies = (await _bed.Smtp.MessagesAsync()).Where(m => m.RcptTo.Contains(_bed.Address("defer-dee"))).ToList();
        Assert.Equal([true, false], copies.Select(c => c.Deferred));
        Assert.All(copies, c => Assert.Equal($"{id}@{EmailTestBed.MessageIdDomain}", c.Message.MessageId));
    }

    [Fact]
    public async Task A_message_a_saved_javascript_rule_sends_arrives_with_its_merge_fields_and_a_valid_message_id()
    {
        await _bed.Crm.Rules.CreateAsync(new RuleDraft
        {
            Id = "welcome-email",
            Source = """
                export default {
                  on: "contact.updated",
                  fields: ["tags"],
                  when: e => (e.after.tags ?? []).includes("welcome") && !(e.before?.tags ?? []).includes("welcome"),
                  then: (e, act) => act.send({
                    channel: "email",
                    purpose: "newsletter",
                    subject: `Welcome, ${e.after.firstName}`,
                    body: "Dear {{ contact.firstName }}, glad to have you.",
                  }),
                };
                """,
        });
        var ben = await _bed.ContactAsync("Ben", _bed.Address("ben"), "newsletter");

        await _bed.Crm.UpdateAsync(RecordTypes.Contact, ben.Id, new JsonObject { ["tags"] = new JsonArray("welcome") });

        var mail = (await _bed.Smtp.WaitForAsync(_bed.Address("ben"))).Message;
        Assert.Equal("Welcome, Ben", mail.Subject);
        Assert.StartsWith("Dear Ben, glad to have you.", mail.TextBody);
        Assert.Matches(@"^<[A-Za-z0-9_+/=-]+@mail\.acme\.test>$", mail.Headers["Message-ID"]!.Trim());
        var requested = (await _bed.Crm.GetHistoryAsync(RecordTypes.Contact, ben.Id)).Items.Single(e => e.Type == "contact.messageRequested");
        Assert.StartsWith("rule:welcome-email@", requested.Actor.ToString());
        Assert.Equal((string?)JsonNode.Parse(requested.PayloadJson)!["messageId"], MessageIds.FromHeader(mail.MessageId!, EmailTestBed.MessageIdDomain));
    }

    [Fact]
    public async Task Withdrawn_or_unknown_consent_sends_nothing_and_the_history_says_why()
    {
        var cy = await _bed.ContactAsync("Cy", _bed.Address("cy"), "newsletter", ConsentStatus.Withdrawn);
        var sam = await _bed.ContactAsync("Sam", _bed.Address("sam"));

        var withdrawn = await _bed.OutcomeAsync(cy.Id, await _bed.Crm.Messages.SendAsync(cy.Id, Newsletter()));
        var unknown = await _bed.OutcomeAsync(sam.Id, await _bed.Crm.Messages.SendAsync(sam.Id, Newsletter()));

        Assert.Equal(("contact.messageBlocked", "Withdrawn"), ((string?)withdrawn["type"], (string?)withdrawn["consent"]!["status"]));
        Assert.Equal(("contact.messageBlocked", "Unknown"), ((string?)unknown["type"], (string?)unknown["consent"]!["status"]));
        Assert.False(string.IsNullOrEmpty((string?)withdrawn["reason"]));
        Assert.Empty(await _bed.Smtp.DeliveredToAsync(_bed.Address("cy")));
        Assert.Empty(await _bed.Smtp.DeliveredToAsync(_bed.Address("sam")));
    }

    [Fact]
    public async Task A_recipient_the_server_refuses_with_550_fails_the_message_for_good_and_is_suppressed()
    {
        var fay = await _bed.ContactAsync("Fay", _bed.Address("reject-fay"), "newsletter");

        var failed = await _bed.OutcomeAsync(fay.Id, await _bed.Crm.Messages.SendAsync(fay.Id, Newsletter()));

        Assert.Equal(("contact.messageFailed", true, true), ((string?)failed["type"], (bool)failed["permanent"]!, (bool)failed["suppressed"]!));
        Assert.Contains("550", (string?)failed["reason"]);
        var entry = Assert.Single(await _bed.Crm.Messages.GetSuppressionsAsync("email"), s => s.Address == _bed.Address("reject-fay"));
        Assert.Contains("550", entry.Reason);

        var again = await _bed.OutcomeAsync(fay.Id, await _bed.Crm.Messages.SendAsync(fay.Id, Newsletter()));
        Assert.Equal("contact.messageBlocked", (string?)again["type"]);
        Assert.Contains("suppression list", (string?)again["reason"]);
    }

    [Fact]
    public async Task A_recipient_the_server_keeps_refusing_with_450_is_retried_and_kept_as_a_dead_letter()
    {
        var gus = await _bed.ContactAsync("Gus", _bed.Address("busy-gus"), "newsletter");

        var id = await _bed.Crm.Messages.SendAsync(gus.Id, Newsletter());

        var failed = await _bed.OutcomeAsync(gus.Id, id);
        Assert.Equal(("contact.messageFailed", false, 4), ((string?)failed["type"], (bool)failed["permanent"]!, (int)failed["attempts"]!));
        DeadLetter? letter = null;
        await Eventually.TrueAsync(async () => (letter = (await _bed.Crm.Messages.GetDeadLettersAsync()).SingleOrDefault(d => d.MessageId == id)) is not null);
        Assert.Contains("450", letter!.LastError);
        Assert.DoesNotContain(await _bed.Crm.Messages.GetSuppressionsAsync("email"), s => s.Address == _bed.Address("busy-gus"));
    }

    [GeneratedRegex(@"https://crm\.example\.test/u/\S+")]
    private static partial Regex UnsubscribeLink();
}
