using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Crm.Engine.Messaging;

/// <summary>What an unsubscribe link stands for: withdrawing one consent of one contact.</summary>
public sealed record UnsubscribeRequest(string Tenant, string ContactId, string Purpose, string Channel, string Address, string MessageId);

/// <summary>
/// Signed unsubscribe links: <c>{PublicBaseUrl}/u/{token}</c>, the token holding the tenant, contact, purpose, channel,
/// address and message, signed with HMAC-SHA256 under <see cref="MessagingOptions.LinkSecret"/>, so a link cannot be
/// forged or altered to withdraw someone else's consent.
/// </summary>
public sealed class UnsubscribeLinks(MessagingOptions options)
{
    /// <summary>True when links can be made (a public base URL and a secret are configured).</summary>
    public bool Enabled => options.PublicBaseUrl is not null && options.LinkSecret is not null;

    /// <summary>The link for a message, or null when links are not configured.</summary>
    public string? For(UnsubscribeRequest request) =>
        Enabled ? options.PublicBaseUrl!.TrimEnd('/') + "/u/" + Token(request) : null;

    /// <summary>The signed token for a request.</summary>
    public string Token(UnsubscribeRequest request)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new[] { request.Tenant, request.ContactId, request.Purpose, request.Channel, request.Address, request.MessageId });
        return Base64Url(body) + "." + Base64Url(Sign(body));
    }

    /// <summary>The request a token stands for, or null when it is malformed or its signature does not match.</summary>
    public UnsubscribeRequest? Read(string token)
    {
        if (!Enabled || token.Length > 4_000) return null;
        var dot = token.IndexOf('.');
        if (dot <= 0) return null;
        try
        {
            var body = Convert.FromBase64String(Pad(token[..dot]));
            var signature = Convert.FromBase64String(Pad(token[(dot + 1)..]));
            if (!CryptographicOperations.FixedTimeEquals(signature, Sign(body))) return null;
            var parts = JsonSerializer.Deserialize<string[]>(body);
            return parts is { Length: 6 } ? new UnsubscribeRequest(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]) : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    private byte[] Sign(byte[] body) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.LinkSecret!), body);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Pad(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - s.Length % 4) % 4);
    }
}
