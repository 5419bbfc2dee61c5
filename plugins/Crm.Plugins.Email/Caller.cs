using Crm.Engine.Plugins;
using Crm.Engine;
using Microsoft.AspNetCore.Http;

namespace Crm.Plugins.Email;

/// <summary>
/// The caller of a plugin API endpoint, from the claims the host's API-key authentication put on the request
/// (<c>crm:tenant</c>, <c>crm:user</c>, <c>crm:role</c>, <c>crm:key</c>).
/// </summary>
internal sealed record Caller(string Tenant, string UserId, string Role, string KeyId)
{
    public const string TenantClaim = CrmClaimTypes.Tenant;
    public const string UserClaim = CrmClaimTypes.User;
    public const string RoleClaim = CrmClaimTypes.Role;
    public const string KeyClaim = CrmClaimTypes.KeyId;

    /// <summary>Writes are attributed to the key, as the host's own endpoints do.</summary>
    public Actor Actor => new(ActorKind.ApiKey, KeyId);

    public bool ReadOnly => Role.Equals("ReadOnly", StringComparison.OrdinalIgnoreCase);

    /// <summary>The authenticated caller, or null for a request without the host's claims.</summary>
    public static Caller? From(HttpContext http)
    {
        var user = http.User;
        var tenant = user.FindFirst(TenantClaim)?.Value;
        var key = user.FindFirst(KeyClaim)?.Value;
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(key)) return null;
        return new Caller(tenant, user.FindFirst(UserClaim)?.Value ?? "", user.FindFirst(RoleClaim)?.Value ?? "", key);
    }
}
