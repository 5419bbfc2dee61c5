using System.Text;
using Crm.Engine.Messaging;
using Crm.Plugins.Email.Inbound;
using Crm.Plugins.Email.Outbound;
using MimeKit;

namespace Crm.Plugins.Email.Tests;

/// <summary>The plugin's pieces on their own: Message-IDs, case references, bounce reports, the outbound MIME message.</summary>
public sealed class UnitTests
{
    [Theory]
    [InlineData("msg-01JQ8Z3K4M5N6P7Q8R9S0T1V2W", "msg-01JQ8Z3K4M5N6P7Q8R9S0T1V2W")]
    [InlineData("rule:welcome@3/0195ad2c-8f4e/send-0", "rule=3Awelcome=403/0195ad2c-8f4e/send-0")]
    [InlineData("a.b=c d", "a=2Eb=3Dc=20d")]
    [InlineData("grüße", "gr=C3=BC=C3=9Fe")]
    public void A_message_id_becomes_a_valid_message_id_header_and_back(string messageId, string left)
    {
        var header = MessageIds.ToHeader(messageId, "mail.acme.test");

        Assert.Equal(left + "@mail.acme.test", header);
        var parsed = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes($"Message-ID: <{header}>\r\n\r\n")));
        Assert.Equal(header, parsed.MessageId);
        Assert.Equal(messageId, MessageIds.FromHeader("<" + header + ">", "MAIL.acme.test"));
        Assert.Null(MessageIds.FromHeader(header, "other.test"));
    }

    [Theory]
    [InlineData("Re: Printer [Case #c-123]", "c-123")]
    [InlineData("AW: [case # 01JQ8Z.x_y] Drucker", "01JQ8Z.x_y")]
    [InlineData("Case #c-123 without brackets", null)]
    [InlineData(null, null)]
    public void A_case_reference_is_found_in_a_subject(string? subject, string? caseId) => Assert.Equal(caseId, CaseReference.Find(subject));

    [Fact]
    public void Tagging_a_subject_adds_the_reference_once() =>
        Assert.Equal("We are on it [Case #c1]", CaseReference.Tag(CaseReference.Tag("We are on it", "c1"), "c1"));

    [Fact]
    public void An_ordinary_mail_is_no_bounce_and_a_report_of_delays_only_fails_nobody()
    {
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse("ann@example.test"));
        mail.Body = new TextPart("plain") { Text = "Hello" };
        Assert.False(BounceReport.TryRead(mail, out _));

        var delayed = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            "From: postmaster@mx.test\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
            "--b\r\nContent-Type: text/plain\r\n\r\nDelayed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n" +
            "Reporting-MTA: dns; mx.test\r\n\r\nFinal-Recipient: rfc822; Late@Example.test\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n--b--\r\n")));
        Assert.True(BounceReport.TryRead(delayed, out var failed));
        Assert.Empty(failed);
    }

    [Fact]
    public void A_message_without_an_unsubscribe_link_has_no_list_headers_and_no_footer()
    {
        var sender = new TenantSender(MailboxAddress.Parse("Acme <hello@acme.test>"), null, MailboxAddress.Parse("bounces@acme.test"), "acme.test", new SmtpOptions());
        var mail = OutboundMail.Build(new OutboundMessage
        {
            MessageId = "m1", Tenant = "t", Channel = "email", Purpose = "service", ContactId = "c1", To = "ann@example.test", Subject = "Your order", Body = "Shipped.",
        }, sender, "Unsubscribe: {url}", DateTimeOffset.UnixEpoch);

        Assert.Null(mail.Headers["List-Unsubscribe"]);
        Assert.Equal("Shipped.", mail.TextBody);
        Assert.Null(mail.HtmlBody);
        Assert.Equal("m1@acme.test", mail.MessageId);
    }
}
