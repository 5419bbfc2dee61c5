using System.Security.Cryptography;
using System.Text;

namespace Crm.Plugins.Webhooks;

/// <summary>
/// Signatures in the Standard Webhooks form: <c>webhook-signature: v1,&lt;base64 HMAC-SHA256&gt;</c> over
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>, keyed with the secret's bytes (the base64 after <c>whsec_</c>).
/// </summary>
public static class WebhookSignature
{
    /// <summary>The <c>webhook-signature</c> header value.</summary>
    public static string Sign(string secret, string id, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>What a receiver checks: one of the header's signatures matches, and the timestamp is within <paramref name="tolerance"/> of now.</summary>
    public static bool Verify(string secret, string id, long timestamp, string body, string signatureHeader, DateTimeOffset now, TimeSpan tolerance)
    {
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, id, timestamp, body));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }
}
