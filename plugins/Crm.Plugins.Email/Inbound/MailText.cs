using System.Net;
using System.Text.RegularExpressions;
using MimeKit;

namespace Crm.Plugins.Email.Inbound;

/// <summary>What of a mail goes into the CRM: the sender, the recipients, the text.</summary>
internal static partial class MailText
{
    /// <summary>The text body, or the HTML body reduced to text, or empty; at most <paramref name="max"/> characters.</summary>
    public static string Body(MimeMessage message, int max)
    {
        var text = message.TextBody;
        if (string.IsNullOrWhiteSpace(text) && message.HtmlBody is { } html) text = FromHtml(html);
        text = (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        return text.Length <= max ? text : text[..max];
    }

    /// <summary>One line of at most <paramref name="max"/> characters.</summary>
    public static string Line(string? text, int max)
    {
        var line = string.Join(' ', (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= max ? line : line[..max];
    }

    /// <summary>Every address the mail was sent to: To, Cc and the delivery headers servers add.</summary>
    public static IEnumerable<string> Recipients(MimeMessage message)
    {
        foreach (var m in message.To.Mailboxes.Concat(message.Cc.Mailboxes)) yield return Normalise(m.Address);
        foreach (var header in new[] { "Delivered-To", "X-Original-To", "Envelope-To" })
        {
            foreach (var value in message.Headers.Where(h => h.Field.Equals(header, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value))
            {
                if (MailboxAddress.TryParse(value.Trim(), out var m)) yield return Normalise(m.Address);
            }
        }
    }

    /// <summary>Auto-replies (out of office, notifications) must not open cases, or two robots could mail each other forever.</summary>
    public static bool IsAutomatic(MimeMessage message)
    {
        var auto = message.Headers["Auto-Submitted"];
        if (auto is not null && !auto.Trim().Equals("no", StringComparison.OrdinalIgnoreCase)) return true;
        if (message.Headers["X-Autoreply"] is not null || message.Headers["X-Autorespond"] is not null) return true;
        return message.Headers["Precedence"]?.Trim().ToLowerInvariant() is "bulk" or "junk" or "list" or "auto_reply";
    }

    public static string Normalise(string address) => address.Trim().ToLowerInvariant();

    private static string FromHtml(string html)
    {
        var text = ScriptOrStyle().Replace(html, " ");
        text = Breaks().Replace(text, "\n");
        text = Tags().Replace(text, "");
        text = WebUtility.HtmlDecode(text);
        return BlankLines().Replace(text, "\n\n");
    }

    [GeneratedRegex(@"<(script|style)\b[^>]*>.*?</\1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ScriptOrStyle();

    [GeneratedRegex(@"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Breaks();

    [GeneratedRegex(@"<[^>]*>", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Tags();

    [GeneratedRegex(@"\n\s*\n(\s*\n)+", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex BlankLines();
}
