using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Rules;
using MimeKit;

namespace Crm.Plugins.Email.IntegrationTests;

/// <summary>
/// Mail read from a real IMAP mailbox: replies land on their case and contact, new mail to the support address opens a
/// case, bounces suppress addresses, and no mail is taken in twice — across a restart or a lost cursor.
/// </summary>
public sealed class InboundEmailTests(MailServers.MailServers servers) : IAsyncLifetime
{
    private EmailTestBed _bed = null!;

    public async ValueTask InitializeAsync() => _bed = await EmailTestBed.StartAsync(servers, mailbox: true);

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private static readonly DateTimeOffset Sent = new(2026, 3, 2, 9, 30, 0, TimeSpan.FromHours(1));

    private MimeMessage Mail(string from, string to, string subject, string body, string messageId, string? inReplyTo = null, params string[] references)
    {
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(from));
        mail.To.Add(MailboxAddress.Parse(to));
        mail.Subject = subject;
        mail.MessageId = messageId;
        mail.Date = Sent;
        if (inReplyTo is not null) mail.InReplyTo = inReplyTo;
        foreach (var r in references) mail.References.Add(r);
        mail.Body = new TextPart("plain") { Text = body };
        return mail;
    }

    private Task<uint> AppendAsync(MimeMessage mail) => _bed.Imap.AppendAsync(_bed.MailboxUser, mail);

    private static IEnumerable<string> Linked(CrmRecord record, string type) => record.Links.Where(l => l.TargetType == type).Select(l => l.TargetId);

    private async Task<JsonObject?> CursorAsync() => await _bed.Crm.PluginData("Email").GetAsync("imap:" + EmailTestBed.MailboxName);

    private async Task<IReadOnlyList<CrmRecord>> CasesOfAsync(string contactId) =>
        (await _bed.Crm.QueryAsync(RecordTypes.Case, new RecordQuery { Filter = Filter.Eq("contactId", contactId) })).Items;

    [Fact]
    public async Task A_reply_naming_a_case_in_its_subject_lands_on_that_case_and_on_its_contact()
    {
        var ann = await _bed.ContactAsync("Ann", _bed.Address("ann"));
        var printer = await _bed.Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Printer on fire", ["contactId"] = ann.Id });
        var messageId = $"reply-1.{_bed.Tag}@customer.test";

        await AppendAsync(Mail($"Ann <{_bed.Address("ann")}>", "support@acme.test", $"Re: Printer on fire [Case #{printer.Id}]", "It is still burning.", messageId));

        var interaction = await _bed.InteractionAsync(messageId, links: 2);
        Assert.Equal(("email", "inbound", "email"), (interaction.GetString("kind"), interaction.GetString("direction"), interaction.GetString("channel")));
        Assert.Equal(($"Re: Printer on fire [Case #{printer.Id}]", "It is still burning."), (interaction.GetString("subject"), interaction.GetString("body")));
        Assert.Equal(Sent, DateTimeOffset.Parse(interaction.GetString("occurredAt")!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([ann.Id], Linked(interaction, RecordTypes.Contact));
        Assert.Equal([printer.Id], Linked(interaction, RecordTypes.Case));
        Assert.Single(await CasesOfAsync(ann.Id));
    }

    [Fact]
    public async Task A_reply_to_a_case_mail_a_rule_sent_is_matched_by_its_in_reply_to_header()
    {
        // The case convention as the plugin's README shows it: case mail carries [Case #id] in its subject.
        await _bed.Crm.Rules.CreateAsync(new RuleDraft
        {
            Id = "case-resolved-mail",
            Source = """
                export default {
                  on: "case.statusChanged",
                  when: e => e.payload.to === "resolved",
                  then: (e, act) => act.send({
                    channel: "email", purpose: "service",
                    subject: `[Case #${e.record.id}] ${e.after.subject}`,
                    body: "Dear {{ contact.firstName }}, we consider your case solved. Reply to this mail if it is not.",
                  }),
                };
                """,
        });
        var ann = await _bed.ContactAsync("Ann", _bed.Address("ann"));
        var printer = await _bed.Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Printer on fire", ["contactId"] = ann.Id });
        await _bed.Crm.UpdateAsync(RecordTypes.Case, printer.Id, new JsonObject { ["status"] = "resolved" });
        var caseMail = (await _bed.Smtp.WaitForAsync(_bed.Address("ann"))).Message;
        Assert.Equal($"[Case #{printer.Id}] Printer on fire", caseMail.Subject);
        var sent = await _bed.InteractionAsync(MessageIds.FromHeader(caseMail.MessageId!, EmailTestBed.MessageIdDomain)!);
        var messageId = $"reply-2.{_bed.Tag}@customer.test";

        await AppendAsync(Mail(_bed.Address("ann"), "support@acme.test", "Re: your mail", "It is not solved.", messageId, inReplyTo: caseMail.MessageId, caseMail.MessageId!));

        var interaction = await _bed.InteractionAsync(messageId, links: 2);
        Assert.Equal([ann.Id], Linked(interaction, RecordTypes.Contact));
        Assert.Equal([printer.Id], Linked(interaction, RecordTypes.Case));
        Assert.Equal("outbound", sent.GetString("direction"));
    }

    [Fact]
    public async Task A_new_mail_to_the_support_address_opens_a_case_and_a_follow_up_in_its_thread_joins_it()
    {
        var zoe = _bed.Address("zoe");
        var first = $"first.{_bed.Tag}@example.test";
        var second = $"second.{_bed.Tag}@example.test";

        await AppendAsync(Mail($"Zoe Quinn <{zoe}>", EmailTestBed.SupportAddress, "Cannot log in", "My password stopped working.", first));

        var opened = await _bed.InteractionAsync(first, links: 2);
        var contact = await _bed.Crm.FindAsync(RecordTypes.Contact, "email", zoe);
        Assert.NotNull(contact);
        Assert.Equal(("Zoe", "Quinn", "email"), (contact.GetString("firstName"), contact.GetString("lastName"), contact.GetString("source")));
        var caseId = Assert.Single(Linked(opened, RecordTypes.Case));
        var opening = await _bed.Crm.GetAsync(RecordTypes.Case, caseId);
        Assert.Equal(("Cannot log in", "My password stopped working.", contact.Id), (opening!.GetString("subject"), opening.GetString("description"), opening.GetString("contactId")));
        Assert.Equal([contact.Id], Linked(opened, RecordTypes.Contact));

        await AppendAsync(Mail(zoe, EmailTestBed.SupportAddress, "One more thing", "It says my account is locked.", second, inReplyTo: null, first));

        var followUp = await _bed.InteractionAsync(second, links: 2);
        Assert.Equal([caseId], Linked(followUp, RecordTypes.Case));
        Assert.Single(await CasesOfAsync(contact.Id));
    }

    [Fact]
    public async Task An_automatic_reply_or_mail_from_a_stranger_elsewhere_opens_no_case()
    {
        var auto = Mail(_bed.Address("ooo"), EmailTestBed.SupportAddress, "Out of office", "I am away until Monday.", $"ooo.{_bed.Tag}@example.test");
        auto.Headers.Add("Auto-Submitted", "auto-replied");
        await AppendAsync(auto);
        var last = await AppendAsync(Mail(_bed.Address("stranger"), "sales@acme.test", "Hello", "Just saying hi.", $"hi.{_bed.Tag}@example.test"));

        await Eventually.TrueAsync(async () => (uint?)(await CursorAsync())?["lastUid"] == last);

        Assert.Null(await _bed.Crm.FindAsync(RecordTypes.Contact, "email", _bed.Address("ooo")));
        Assert.Null(await _bed.Crm.FindAsync(RecordTypes.Contact, "email", _bed.Address("stranger")));
        Assert.Empty(await _bed.InteractionsAsync($"ooo.{_bed.Tag}@example.test"));
        Assert.Empty(await _bed.InteractionsAsync($"hi.{_bed.Tag}@example.test"));
    }

    [Fact]
    public async Task A_bounce_puts_the_failed_recipients_on_the_suppression_list_and_nothing_else()
    {
        var gone = _bed.Address("gone");
        var late = _bed.Address("late");
        var lost = _bed.Address("lost");
        var dsn = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes($"""
            From: Mail Delivery System <MAILER-DAEMON@mx.example.test>
            To: support@acme.test
            Subject: Undelivered Mail Returned to Sender
            Message-ID: <dsn.{_bed.Tag}@mx.example.test>
            Date: Mon, 2 Mar 2026 09:31:00 +0000
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

            --b1
            Content-Type: text/plain

            Your message could not be delivered to one or more recipients.
            --b1
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.test

            Final-Recipient: rfc822; {gone}
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 <{gone}>: Recipient address rejected: User unknown

            Final-Recipient: rfc822; {late}
            Action: delayed
            Status: 4.4.1
            Diagnostic-Code: smtp; 451 4.4.1 Connection timed out

            --b1
            Content-Type: text/rfc822-headers

            From: Acme Support <support@acme.test>
            To: {gone}
            Subject: Hello
            --b1--
            """.Replace("\n", "\r\n"))));
        var bare = Mail("postmaster@mx2.example.test", "support@acme.test", "Mail delivery failed", "A message could not be delivered.", $"bare.{_bed.Tag}@mx2.example.test");
        bare.Headers.Add("X-Failed-Recipients", lost);

        await AppendAsync(dsn);
        var last = await AppendAsync(bare);

        await Eventually.TrueAsync(async () => (uint?)(await CursorAsync())?["lastUid"] == last);
        var suppressions = await _bed.Crm.Messages.GetSuppressionsAsync("email");
        var bounced = Assert.Single(suppressions, s => s.Address == gone);
        Assert.Equal($"bounce: 5.1.1 smtp; 550 5.1.1 <{gone}>: Recipient address rejected: User unknown", bounced.Reason);
        Assert.Contains(suppressions, s => s.Address == lost && s.Reason.StartsWith("bounce:", StringComparison.Ordinal));
        Assert.DoesNotContain(suppressions, s => s.Address == late);
        Assert.Empty(await _bed.InteractionsAsync($"dsn.{_bed.Tag}@mx.example.test"));
        Assert.Null(await _bed.Crm.FindAsync(RecordTypes.Contact, "email", "mailer-daemon@mx.example.test"));
    }

    [Fact]
    public async Task A_restart_goes_on_where_reading_stopped_and_no_mail_is_taken_in_twice()
    {
        var one = $"one.{_bed.Tag}@example.test";
        var two = $"two.{_bed.Tag}@example.test";
        await AppendAsync(Mail(_bed.Address("uma"), EmailTestBed.SupportAddress, "First problem", "Something broke.", one));
        var before = await _bed.InteractionAsync(one, links: 2);

        await _bed.Engine.RestartAsync(TestContext.Current.CancellationToken);
        var lastUid = await AppendAsync(Mail(_bed.Address("vic"), EmailTestBed.SupportAddress, "Second problem", "Something else broke.", two));
        await _bed.InteractionAsync(two, links: 2);
        JsonObject? cursor = null;
        await Eventually.TrueAsync(async () => (uint?)(cursor = await CursorAsync())?["lastUid"] == lastUid);

        // As if the node had died after taking the mail in but before moving the cursor: everything is read again.
        await _bed.Crm.PluginData("Email").SetAsync("imap:" + EmailTestBed.MailboxName, new JsonObject { ["uidValidity"] = cursor!["uidValidity"]!.DeepClone(), ["lastUid"] = 0 });
        await Eventually.TrueAsync(async () => await CursorAsync() is { } c && c["at"] is not null && (uint?)c["lastUid"] == lastUid);

        var after = Assert.Single(await _bed.InteractionsAsync(one));
        Assert.Equal(before.Version, after.Version);
        Assert.Single(await _bed.InteractionsAsync(two));
        foreach (var sender in new[] { _bed.Address("uma"), _bed.Address("vic") })
        {
            var contact = await _bed.Crm.FindAsync(RecordTypes.Contact, "email", sender);
            Assert.Single(await CasesOfAsync(contact!.Id));
        }
    }
}
