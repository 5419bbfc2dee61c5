namespace Crm.Engine.Plugins;

/// <summary>
/// The claims of a caller the host authenticated with an API key, as seen by a plugin's API endpoints
/// (<c>httpContext.User.FindFirst(CrmClaimTypes.Tenant)</c>).
/// </summary>
public static class CrmClaimTypes
{
    /// <summary>The tenant the key belongs to: a plugin's API endpoint works in this tenant only.</summary>
    public const string Tenant = "crm:tenant";

    /// <summary>The id of the user the key acts for.</summary>
    public const string User = "crm:user";

    /// <summary>The key's role: <c>Admin</c>, <c>Manager</c>, <c>Agent</c> or <c>ReadOnly</c>.</summary>
    public const string Role = "crm:role";

    /// <summary>The key's id (never the secret).</summary>
    public const string KeyId = "crm:key";
}
