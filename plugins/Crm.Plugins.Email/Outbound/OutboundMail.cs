using System.Net;
using Crm.Engine.Messaging;
using MimeKit;

namespace Crm.Plugins.Email.Outbound;

/// <summary>
/// Builds the MIME message for an outbound message: text (and HTML when given) with the unsubscribe line in the
/// footers, a <c>Message-ID</c> derived from the message id (the same on every retry), and the RFC 2369 / RFC 8058
/// <c>List-Unsubscribe</c> headers when the message carries an unsubscribe link.
/// </summary>
internal static class OutboundMail
{
    public static MimeMessage Build(OutboundMessage message, TenantSender sender, string unsubscribeFooter, DateTimeOffset now)
    {
        var mail = new MimeMessage();
        mail.From.Add(sender.From);
        if (sender.ReplyTo is not null) mail.ReplyTo.Add(sender.ReplyTo);
        mail.To.Add(MailboxAddress.Parse(message.To));
        mail.Subject = message.Subject ?? "";
        mail.MessageId = MessageIds.ToHeader(message.MessageId, sender.MessageIdDomain);
        mail.Date = now;

        var text = message.Body;
        var html = message.Html;
        if (message.UnsubscribeUrl is { } url)
        {
            mail.Headers.Add("List-Unsubscribe", "<" + url + ">");
            mail.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
            text = text.TrimEnd() + "\n\n-- \n" + unsubscribeFooter.Replace("{url}", url, StringComparison.Ordinal) + "\n";
            if (html is not null) html = WithHtmlFooter(html, unsubscribeFooter, url);
        }

        mail.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return mail;
    }

    /// <summary>The footer as a paragraph before <c>&lt;/body&gt;</c> (or at the end), the link as an anchor.</summary>
    private static string WithHtmlFooter(string html, string footer, string url)
    {
        var parts = footer.Split("{url}");
        var line = string.Join($"<a href=\"{WebUtility.HtmlEncode(url)}\">{WebUtility.HtmlEncode(url)}</a>", parts.Select(WebUtility.HtmlEncode));
        var paragraph = $"<p style=\"font-size:small;color:#666\">{line}</p>";
        var end = html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
        return end >= 0 ? html[..end] + paragraph + html[end..] : html + paragraph;
    }
}
