using System.Text.Json;
using Crm.Engine.Domain;
using Crm.Engine.Grains;
using Crm.Engine.Settings;
using Crm.Engine.Storage;

namespace Crm.Engine.Access;

/// <summary>The registry of tenants and API keys (one activation, key <c>_system</c>).</summary>
[Alias("crm.IAccessRegistryGrain")]
public interface IAccessRegistryGrain : IGrainWithStringKey
{
    [Alias("CreateTenant")] Task<TenantInfo> CreateTenantAsync(string tenant, string name, Actor actor);
    [Alias("IssueKey")] Task<IssuedApiKey> IssueKeyAsync(string tenant, string userId, CrmRole role, string name, string? presetKey, Actor actor);
    [Alias("RevokeKey")] Task<ApiKeyInfo> RevokeKeyAsync(string tenant, string keyId, Actor actor);
    [Alias("ListTenants")] Task<IReadOnlyList<TenantInfo>> ListTenantsAsync();
    [Alias("ListKeys")] Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(string tenant);
}

internal sealed class AccessRegistryGrain(IEventStore store, AccessDirectory directory, TimeProvider time) : Grain, IAccessRegistryGrain
{
    private AccessState _state = new();
    private List<CrmEvent> _events = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken) => ReloadAsync(cancellationToken);

    private async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        _events = [.. await store.ReadStreamAsync(AccessState.SystemTenant, AccessState.StreamId, 1, int.MaxValue, cancellationToken)];
        _state = AccessState.Fold(_events);
        directory.Publish(_state);
    }

    public async Task<TenantInfo> CreateTenantAsync(string tenant, string name, Actor actor)
    {
        RecordIds.EnsureValidTenant(tenant);
        if (_state.HasTenant(tenant)) throw new RecordExistsException("tenant", tenant);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) throw new ValidationException("name", "is required (at most 200 characters)");
        var info = new TenantInfo(tenant, name.Trim(), Now());
        await AppendAsync(AccessState.TenantCreated, JsonSerializer.Serialize(info, TenantSettingsFold.Json), actor);
        return info;
    }

    public async Task<IssuedApiKey> IssueKeyAsync(string tenant, string userId, CrmRole role, string name, string? presetKey, Actor actor)
    {
        if (!_state.HasTenant(tenant)) throw new RecordNotFoundException("tenant", tenant);
        RecordIds.EnsureValid(userId, "userId");
        if (!Enum.IsDefined(role)) throw new ValidationException("role", "must be admin, manager, agent or readonly");
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) throw new ValidationException("name", "is required (at most 200 characters)");
        if (presetKey is { Length: < 16 or > 512 }) throw new ValidationException("key", "a preset key must be 16-512 characters");

        var key = presetKey ?? ApiKeys.Generate();
        var hash = ApiKeys.Hash(key);
        if (_state.FindByHash(hash) is { } existing)
        {
            // A preset (bootstrap) key issued again is the same key, not a second one.
            if (presetKey is not null && existing.Tenant == tenant) return new IssuedApiKey(existing, key);
            throw new ValidationException("key", "this key is already in use");
        }

        var info = new ApiKeyInfo
        {
            KeyId = RecordIds.New(),
            Tenant = tenant,
            UserId = userId,
            Role = role,
            Name = name.Trim(),
            CreatedAt = Now(),
            Hash = hash,
            Prefix = ApiKeys.PrefixOf(key),
        };
        await AppendAsync(AccessState.KeyIssued, JsonSerializer.Serialize(info, TenantSettingsFold.Json), actor);
        return new IssuedApiKey(info, key);
    }

    public async Task<ApiKeyInfo> RevokeKeyAsync(string tenant, string keyId, Actor actor)
    {
        var key = _state.FindKey(keyId);
        if (key is null || key.Tenant != tenant) throw new RecordNotFoundException("key", keyId);
        if (key.RevokedAt is null)
        {
            await AppendAsync(AccessState.KeyRevoked, new System.Text.Json.Nodes.JsonObject { ["keyId"] = keyId }.ToJsonString(), actor);
        }

        return _state.FindKey(keyId)!;
    }

    public Task<IReadOnlyList<TenantInfo>> ListTenantsAsync() =>
        Task.FromResult<IReadOnlyList<TenantInfo>>([.. _state.Tenants.OrderBy(t => t.Id, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(string tenant) =>
        Task.FromResult<IReadOnlyList<ApiKeyInfo>>([.. _state.Keys.Where(k => k.Tenant == tenant).OrderBy(k => k.CreatedAt)]);

    private DateTimeOffset Now() => time.GetUtcNow();

    private async Task AppendAsync(string type, string payloadJson, Actor actor)
    {
        var batch = new EventBatch(AccessState.SystemTenant, AccessState.StreamId, _state.Version, Now(), new WriteOptions { Actor = actor }, actor);
        batch.Add(type, payloadJson);
        try
        {
            await store.AppendAsync(new AppendRequest
            {
                Tenant = AccessState.SystemTenant,
                StreamId = AccessState.StreamId,
                ExpectedVersion = _state.Version,
                Events = batch.Events,
            });
        }
        catch (ConcurrencyConflictException)
        {
            // Another activation wrote: start over from the log.
            await ReloadAsync();
            throw;
        }

        // Readers hold the published state, so the next one is a new fold rather than a change to it.
        _events.AddRange(batch.AsCommitted());
        _state = AccessState.Fold(_events);
        directory.Publish(_state);
    }
}
