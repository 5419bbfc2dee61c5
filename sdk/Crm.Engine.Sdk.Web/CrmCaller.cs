using Microsoft.AspNetCore.Http;

namespace Crm.Engine.Plugins;

/// <summary>The caller of a plugin's API endpoint, from the claims the host's API-key authentication put on the request.</summary>
public sealed record CrmCaller(string Tenant, string UserId, string Role, string KeyId)
{
    /// <summary>The actor the host's own endpoints attribute this caller's writes to: the key.</summary>
    public Actor Actor => new(ActorKind.ApiKey, KeyId);

    public bool IsAdmin => Role.Equals("Admin", StringComparison.OrdinalIgnoreCase);

    public bool IsReadOnly => Role.Equals("ReadOnly", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The caller's tenant and actor when the caller is an admin, else null. For a plugin's <c>endpoints.Api</c> routes,
    /// which the host reaches only with a caller; a request without one is a host fault and throws.
    /// </summary>
    public static (string Tenant, Actor Actor)? Admin(HttpContext http) =>
        (From(http) ?? throw new InvalidOperationException("An API route was reached without a caller.")) is { IsAdmin: true } caller
            ? (caller.Tenant, caller.Actor)
            : null;

    /// <summary>The authenticated caller, or null for a request without the host's claims.</summary>
    public static CrmCaller? From(HttpContext http)
    {
        var user = http.User;
        var tenant = user.FindFirst(CrmClaimTypes.Tenant)?.Value;
        var key = user.FindFirst(CrmClaimTypes.KeyId)?.Value;
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(key)) return null;
        return new CrmCaller(tenant, user.FindFirst(CrmClaimTypes.User)?.Value ?? "", user.FindFirst(CrmClaimTypes.Role)?.Value ?? "", key);
    }
}
