using System.Text.Json.Nodes;

namespace Crm.Engine.Access;

/// <summary>Creates tenants with their first admin user and key; every step can be re-run after a crash.</summary>
public sealed class TenantProvisioning(IGrainFactory grains, ICrmClient crm)
{
    /// <summary>The id of a tenant's first admin user.</summary>
    public const string AdminUserId = "admin";

    private IAccessRegistryGrain Registry => grains.GetGrain<IAccessRegistryGrain>(AccessState.SystemTenant);

    /// <summary>Creates a tenant, its admin user and an admin key (returned once, in clear).</summary>
    public async Task<(TenantInfo Tenant, IssuedApiKey Key)> CreateTenantAsync(string tenant, string name, string adminName, string adminEmail, Actor actor)
    {
        var info = await Registry.CreateTenantAsync(tenant, name, actor);
        await EnsureAdminUserAsync(tenant, adminName, adminEmail, actor);
        var key = await Registry.IssueKeyAsync(tenant, AdminUserId, CrmRole.Admin, "first admin key", null, actor);
        return (info, key);
    }

    /// <summary>
    /// Makes sure <paramref name="tenant"/> exists with an admin key. Returns the key when one was issued now
    /// (a generated key is shown once); null when the tenant was already set up.
    /// </summary>
    public async Task<IssuedApiKey?> EnsureBootstrapAsync(string tenant, string? presetKey)
    {
        var tenants = await Registry.ListTenantsAsync();
        if (tenants.All(t => t.Id != tenant))
        {
            try
            {
                await Registry.CreateTenantAsync(tenant, tenant, Actor.System);
            }
            catch (RecordExistsException)
            {
                // Another node of the cluster created it first.
            }
        }

        await EnsureAdminUserAsync(tenant, "Administrator", "admin@localhost.localdomain", Actor.System);
        if (presetKey is not null) return await Registry.IssueKeyAsync(tenant, AdminUserId, CrmRole.Admin, "bootstrap key", presetKey, Actor.System);
        var keys = await Registry.ListKeysAsync(tenant);
        return keys.Any(k => k.RevokedAt is null)
            ? null
            : await Registry.IssueKeyAsync(tenant, AdminUserId, CrmRole.Admin, "bootstrap key", null, Actor.System);
    }

    private async Task EnsureAdminUserAsync(string tenant, string name, string email, Actor actor)
    {
        var client = crm.ForTenant(tenant, actor);
        if (await client.GetAsync(RecordTypes.User, AdminUserId) is not null) return;
        try
        {
            await client.CreateAsync(RecordTypes.User, new JsonObject { ["name"] = name, ["email"] = email, ["role"] = "admin" }, AdminUserId);
        }
        catch (RecordExistsException)
        {
            // Created by an earlier, interrupted run.
        }
    }
}
