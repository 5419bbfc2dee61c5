using System.Text.RegularExpressions;

namespace Crm.Engine.Domain;

/// <summary>Record and tenant ids: generation and validation.</summary>
public static partial class RecordIds
{
    private const string Crockford = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>A new time-ordered id: 26 lower-case Crockford base32 characters (a UUIDv7).</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.CreateVersion7().TryWriteBytes(bytes, bigEndian: true, out _);
        Span<char> chars = stackalloc char[26];
        // 128 bits → 26 base32 digits, most significant first (the first digit carries 3 bits).
        UInt128 value = 0;
        foreach (var b in bytes) value = (value << 8) | b;
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Crockford[(int)(value & 31)];
            value >>= 5;
        }

        return new string(chars);
    }

    /// <summary>
    /// A stable id derived from <paramref name="key"/> (same form as <see cref="New"/>): a record an outbox row creates
    /// gets the same id on every retry, so a retry finds it instead of creating a second one.
    /// </summary>
    public static string FromKey(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key), hash);
        Span<char> chars = stackalloc char[26];
        UInt128 value = 0;
        foreach (var b in hash[..16]) value = (value << 8) | b;
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Crockford[(int)(value & 31)];
            value >>= 5;
        }

        return new string(chars);
    }

    /// <summary>True for ids callers may choose: 1–64 characters of letters, digits, '.', '_' and '-', starting alphanumeric.</summary>
    public static bool IsValid(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>True for tenant ids: 1–63 lower-case letters, digits, '-' and '_', starting alphanumeric.</summary>
    public static bool IsValidTenant(string? tenant) => tenant is not null && TenantPattern().IsMatch(tenant);

    /// <summary>Throws a <see cref="ValidationException"/> naming <paramref name="field"/> when the id is not valid.</summary>
    public static void EnsureValid(string? id, string field = "id")
    {
        if (!IsValid(id)) throw new ValidationException(field, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }

    /// <summary>Throws when the tenant id is not valid.</summary>
    public static void EnsureValidTenant(string? tenant)
    {
        if (!IsValidTenant(tenant)) throw new ValidationException("tenant", "must be 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit");
    }

    /// <summary>The grain key of a record: <c>{tenant}/{id}</c>.</summary>
    public static string GrainKey(string tenant, string id) => tenant + "/" + id;

    /// <summary>Splits a grain key into tenant and id.</summary>
    public static (string Tenant, string Id) ParseGrainKey(string key)
    {
        var slash = key.IndexOf('/');
        if (slash <= 0) throw new ArgumentException($"Grain key '{key}' is not '{{tenant}}/{{id}}'.", nameof(key));
        return (key[..slash], key[(slash + 1)..]);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex TenantPattern();
}
