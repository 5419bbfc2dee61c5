using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>Roles an API key can carry.</summary>
public enum ApiRole
{
    ReadOnly,
    Agent,
    Manager,
    Admin,
}

/// <summary>API keys of the caller's tenant (<c>/api/v1/keys</c>, admins only).</summary>
public sealed class CrmKeys
{
    private const string Path = "api/v1/keys";
    private readonly CrmHttpClient _client;

    internal CrmKeys(CrmHttpClient client) => _client = client;

    /// <summary>The tenant's keys (never their secrets).</summary>
    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        var o = (await _client.SendAsync(HttpMethod.Get, Path, null, null, cancellationToken).ConfigureAwait(false)).Object;
        return o["items"] is JsonArray a ? [.. a.OfType<JsonObject>().Select(ApiKeySummary.From)] : [];
    }

    /// <summary>Issues a key for a user of the tenant; the secret is in the answer and never shown again.</summary>
    public async Task<IssuedApiKey> CreateAsync(string userId, ApiRole role, string? name = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["userId"] = userId, ["role"] = RoleName(role) };
        if (name is not null) body["name"] = name;
        var o = (await _client.SendAsync(HttpMethod.Post, Path, body, null, cancellationToken).ConfigureAwait(false)).Object;
        return new IssuedApiKey(ApiKeySummary.From(o), Json.Str(o, "key") ?? throw new FormatException("The answer holds no key."));
    }

    /// <summary>Revokes a key: it stops working at once.</summary>
    public async Task<ApiKeySummary> RevokeAsync(string keyId, CancellationToken cancellationToken = default) =>
        ApiKeySummary.From((await _client.SendAsync(HttpMethod.Delete, $"{Path}/{CrmHttpClient.Escape(keyId)}", null, null, cancellationToken)
            .ConfigureAwait(false)).Object);

    /// <summary>The role's name on the wire: <c>readonly</c>, <c>agent</c>, <c>manager</c>, <c>admin</c>.</summary>
    public static string RoleName(ApiRole role) => role switch
    {
        ApiRole.ReadOnly => "readonly",
        ApiRole.Agent => "agent",
        ApiRole.Manager => "manager",
        ApiRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}

/// <summary>Tenants (<c>/api/v1/tenants</c>, admins of the bootstrap tenant only).</summary>
public sealed class CrmTenants
{
    private const string Path = "api/v1/tenants";
    private readonly CrmHttpClient _client;

    internal CrmTenants(CrmHttpClient client) => _client = client;

    /// <summary>Creates a tenant with its admin user; the answer holds the tenant's first admin key.</summary>
    public async Task<CreatedTenant> CreateAsync(string id, string? name = null, string? adminName = null, string? adminEmail = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["id"] = id };
        if (name is not null) body["name"] = name;
        if (adminName is not null) body["adminName"] = adminName;
        if (adminEmail is not null) body["adminEmail"] = adminEmail;
        var o = (await _client.SendAsync(HttpMethod.Post, Path, body, null, cancellationToken).ConfigureAwait(false)).Object;
        return new CreatedTenant(Json.Str(o, "id") ?? id, Json.Str(o, "name") ?? id, Json.Time(o, "createdAt") ?? default,
            Json.Str(o, "adminKey") ?? throw new FormatException("The answer holds no admin key."), Json.Str(o, "adminUserId") ?? "");
    }

    /// <summary>All tenants.</summary>
    public async Task<IReadOnlyList<TenantSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        var o = (await _client.SendAsync(HttpMethod.Get, Path, null, null, cancellationToken).ConfigureAwait(false)).Object;
        return o["items"] is JsonArray a
            ? [.. a.OfType<JsonObject>().Select(t => new TenantSummary(Json.Str(t, "id") ?? "", Json.Str(t, "name") ?? "", Json.Time(t, "createdAt") ?? default))]
            : [];
    }
}

/// <summary>An API key as listed: never its secret.</summary>
public sealed record ApiKeySummary(string KeyId, string UserId, string Role, string Name, string? Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    internal static ApiKeySummary From(JsonObject o) => new(
        Json.Str(o, "keyId") ?? "", Json.Str(o, "userId") ?? "", Json.Str(o, "role") ?? "", Json.Str(o, "name") ?? "",
        Json.Str(o, "prefix"), Json.Time(o, "createdAt") ?? default, Json.Time(o, "revokedAt"));
}

/// <summary>A key just issued, with its secret (shown once).</summary>
public sealed record IssuedApiKey(ApiKeySummary Info, string Key);

/// <summary>A tenant.</summary>
public sealed record TenantSummary(string Id, string Name, DateTimeOffset CreatedAt);

/// <summary>A tenant just created, with its first admin key (shown once).</summary>
public sealed record CreatedTenant(string Id, string Name, DateTimeOffset CreatedAt, string AdminKey, string AdminUserId);
