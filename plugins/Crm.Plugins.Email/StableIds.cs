using System.Security.Cryptography;
using System.Text;

namespace Crm.Plugins.Email;

/// <summary>
/// Record ids and effect keys derived from what a mail is (tenant, mailbox, Message-ID), so reading the same mail
/// again — after a restart, on another node, after a lost cursor — finds what the first reading made.
/// </summary>
internal static class StableIds
{
    /// <summary>A record id: <paramref name="prefix"/> and 32 hex digits of a SHA-256 over the parts.</summary>
    public static string Record(string prefix, params string[] parts) => prefix + "-" + Hash(parts);

    /// <summary>An effect key for one step of one piece of work: <c>email:{tenant}:{hash}/{step}</c>.</summary>
    public static string Effect(string tenant, string step, params string[] parts) => $"email:{tenant}:{Hash(parts)}/{step}";

    private static string Hash(string[] parts)
    {
        // Length-prefixed so ("ab","c") and ("a","bc") differ.
        var text = string.Concat(parts.Select(p => p.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + p));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
    }
}
