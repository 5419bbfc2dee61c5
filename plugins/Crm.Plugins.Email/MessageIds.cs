using System.Text;

namespace Crm.Plugins.Email;

/// <summary>
/// The engine's message ids as RFC 5322 <c>Message-ID</c>s and back. A message id is free text (a rule's is
/// <c>…/step</c> with ':' and '@' in it), so its left-hand side keeps letters, digits, '-', '_', '+' and '/' and writes
/// every other byte of its UTF-8 as <c>=XX</c>: always a valid <c>id-left</c>, the same for every retry, and readable back,
/// so a reply's <c>In-Reply-To</c> leads to the message it answers.
/// </summary>
internal static class MessageIds
{
    /// <summary><c>{encoded message id}@{domain}</c>, without the angle brackets.</summary>
    public static string ToHeader(string messageId, string domain) => Encode(messageId) + "@" + domain;

    /// <summary>The engine message id a <c>Message-ID</c> made by <see cref="ToHeader"/> for <paramref name="domain"/> stands for, or null.</summary>
    public static string? FromHeader(string headerId, string domain)
    {
        var id = headerId.Trim().TrimStart('<').TrimEnd('>');
        var at = id.LastIndexOf('@');
        if (at <= 0 || !string.Equals(id[(at + 1)..], domain, StringComparison.OrdinalIgnoreCase)) return null;
        return Decode(id[..at]);
    }

    public static string Encode(string messageId)
    {
        var text = new StringBuilder(messageId.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(messageId))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+' or '/') text.Append(c);
            else text.Append('=').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    public static string? Decode(string left)
    {
        var bytes = new List<byte>(left.Length);
        for (var i = 0; i < left.Length; i++)
        {
            var c = left[i];
            if (c == '=')
            {
                if (i + 2 >= left.Length || !byte.TryParse(left.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b)) return null;
                bytes.Add(b);
                i += 2;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+' or '/')
            {
                bytes.Add((byte)c);
            }
            else
            {
                return null;
            }
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
