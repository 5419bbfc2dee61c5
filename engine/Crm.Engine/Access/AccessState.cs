using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Settings;

namespace Crm.Engine.Access;

/// <summary>Tenants and API keys: a fold of the system access stream.</summary>
public sealed class AccessState
{
    /// <summary>The tenant holding engine-wide streams; not a valid tenant id, so no client can reach it.</summary>
    public const string SystemTenant = "_system";

    /// <summary>The access stream.</summary>
    public const string StreamId = "access";

    public const string TenantCreated = "access.tenantCreated";
    public const string KeyIssued = "access.keyIssued";
    public const string KeyRevoked = "access.keyRevoked";

    private readonly Dictionary<string, TenantInfo> _tenants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApiKeyInfo> _keysById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApiKeyInfo> _keysByHash = new(StringComparer.Ordinal);

    public long Version { get; private set; }
    public IReadOnlyCollection<TenantInfo> Tenants => _tenants.Values;
    public IEnumerable<ApiKeyInfo> Keys => _keysById.Values;

    public bool HasTenant(string tenant) => _tenants.ContainsKey(tenant);

    public ApiKeyInfo? FindKey(string keyId) => _keysById.GetValueOrDefault(keyId);

    public ApiKeyInfo? FindByHash(string hash) => _keysByHash.GetValueOrDefault(hash);

    public void Apply(CrmEvent e)
    {
        Version = e.Version;
        var payload = JsonNode.Parse(e.PayloadJson)!;
        switch (e.Type)
        {
            case TenantCreated:
                var tenant = payload.Deserialize<TenantInfo>(TenantSettingsFold.Json)!;
                _tenants[tenant.Id] = tenant;
                break;
            case KeyIssued:
                var key = payload.Deserialize<ApiKeyInfo>(TenantSettingsFold.Json)!;
                _keysById[key.KeyId] = key;
                _keysByHash[key.Hash] = key;
                break;
            case KeyRevoked:
                var id = payload["keyId"]!.GetValue<string>();
                if (_keysById.TryGetValue(id, out var revoked))
                {
                    var updated = revoked with { RevokedAt = e.Time };
                    _keysById[id] = updated;
                    _keysByHash[updated.Hash] = updated;
                }

                break;
        }
    }

    public static AccessState Fold(IEnumerable<CrmEvent> events)
    {
        var state = new AccessState();
        foreach (var e in events) state.Apply(e);
        return state;
    }
}
