namespace Crm.Engine.Access;

/// <summary>What an API key may do in its tenant; see docs/security.md for the full matrix.</summary>
public enum CrmRole
{
    ReadOnly = 0,
    Agent = 1,
    Manager = 2,
    Admin = 3,
}

/// <summary>An issued API key as the registry keeps it (never the key itself, only its hash).</summary>
[GenerateSerializer, Immutable, Alias("crm.ApiKeyInfo")]
public sealed record ApiKeyInfo
{
    [Id(0)] public required string KeyId { get; init; }
    [Id(1)] public required string Tenant { get; init; }
    [Id(2)] public required string UserId { get; init; }
    [Id(3)] public required CrmRole Role { get; init; }
    [Id(4)] public required string Name { get; init; }
    [Id(5)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(6)] public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>SHA-256 of the key, hex.</summary>
    [Id(7)] public required string Hash { get; init; }

    /// <summary>The first characters of the key, to tell keys apart in listings.</summary>
    [Id(8)] public required string Prefix { get; init; }
}

/// <summary>A key just issued: the only time the secret is shown.</summary>
[GenerateSerializer, Immutable, Alias("crm.IssuedApiKey")]
public sealed record IssuedApiKey([property: Id(0)] ApiKeyInfo Info, [property: Id(1)] string Key);

/// <summary>A tenant as the registry knows it.</summary>
[GenerateSerializer, Immutable, Alias("crm.TenantInfo")]
public sealed record TenantInfo([property: Id(0)] string Id, [property: Id(1)] string Name, [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>The authenticated caller of one request.</summary>
public sealed record CrmPrincipal(string Tenant, string UserId, CrmRole Role, string KeyId)
{
    /// <summary>The actor events written for this caller carry.</summary>
    public Actor Actor => new(ActorKind.ApiKey, KeyId, null);
}
