using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Crm.Plugins.Email.OptIn;

/// <summary>What a confirmation link stands for: confirming one pending consent, asked for by one mail.</summary>
internal sealed record OptInToken(string Tenant, string ContactId, string Purpose, string Address, string MessageId, DateTimeOffset IssuedAt);

/// <summary>
/// Signed double opt-in links: <c>{PublicBaseUrl}/p/{plugin}/confirm/{token}</c>, the token holding the tenant, contact,
/// purpose, address, the confirmation mail's id and when it was made, signed with HMAC-SHA256 under
/// <c>LinkSecret</c> — a link cannot be forged, or altered to confirm someone else's consent.
/// </summary>
internal sealed class ConfirmationLinks(EmailSettings settings, string pluginName)
{
    private const int MaxTokenLength = 4_000;

    /// <summary>True when links can be made: a public base URL and a secret are configured.</summary>
    public bool Enabled => settings.Options is { PublicBaseUrl: not null, LinkSecret: not null };

    public string Url(OptInToken token) =>
        settings.Options.PublicBaseUrl!.TrimEnd('/') + $"/p/{pluginName}/confirm/" + Token(token);

    public string Token(OptInToken t)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new[]
        {
            t.Tenant, t.ContactId, t.Purpose, t.Address, t.MessageId, t.IssuedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return Base64Url(body) + "." + Base64Url(Sign(body));
    }

    /// <summary>What the token stands for, or null when it is malformed or its signature does not match.</summary>
    public OptInToken? Read(string token)
    {
        if (!Enabled || token.Length > MaxTokenLength) return null;
        var dot = token.IndexOf('.');
        if (dot <= 0) return null;
        try
        {
            var body = FromBase64Url(token[..dot]);
            if (!CryptographicOperations.FixedTimeEquals(FromBase64Url(token[(dot + 1)..]), Sign(body))) return null;
            var parts = JsonSerializer.Deserialize<string[]>(body);
            if (parts is not { Length: 6 } || !long.TryParse(parts[5], System.Globalization.CultureInfo.InvariantCulture, out var issued)) return null;
            return new OptInToken(parts[0], parts[1], parts[2], parts[3], parts[4], DateTimeOffset.FromUnixTimeSeconds(issued));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private byte[] Sign(byte[] body) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(settings.Options.LinkSecret!), body);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }
}
