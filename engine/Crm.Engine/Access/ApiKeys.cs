using System.Security.Cryptography;
using System.Text;

namespace Crm.Engine.Access;

/// <summary>API key generation and hashing. Keys carry 200 bits of randomness, so a plain SHA-256 is a safe hash.</summary>
public static class ApiKeys
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    /// <summary>A new key: <c>crm_</c> followed by 40 random characters.</summary>
    public static string Generate()
    {
        Span<char> chars = stackalloc char[40];
        for (var i = 0; i < chars.Length; i++) chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return "crm_" + new string(chars);
    }

    /// <summary>SHA-256 of the key, lower-case hex.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A short, non-secret prefix for listings.</summary>
    public static string PrefixOf(string key) => key.Length <= 10 ? "crm_…" : key[..10] + "…";
}
