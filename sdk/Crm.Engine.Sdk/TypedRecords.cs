using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Crm.Engine;

/// <summary>
/// Typed views of records for applications that prefer classes to JSON. Properties left null are not sent, so an
/// update with a typed object changes only what it sets. Your own classes work the same way with <see cref="TypedRecordExtensions"/>.
/// </summary>
public abstract record TypedRecord
{
    /// <summary>Custom fields by name.</summary>
    public Dictionary<string, JsonNode?>? Custom { get; init; }

    /// <summary>Tags (contacts, accounts, deals, cases).</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>The id of another system's copy of the record; unique in the tenant.</summary>
    public string? ExternalId { get; init; }
}

/// <summary>A person the tenant does business with.</summary>
public sealed record Contact : TypedRecord
{
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Email { get; init; }
    public IReadOnlyList<string>? Emails { get; init; }
    public string? Phone { get; init; }
    public IReadOnlyList<string>? Phones { get; init; }
    public string? Company { get; init; }
    public string? Title { get; init; }
    public string? LifecycleStage { get; init; }
    public string? OwnerId { get; init; }
    public string? AccountId { get; init; }
    public string? Source { get; init; }
}

/// <summary>A company or organisation.</summary>
public sealed record Account : TypedRecord
{
    public string? Name { get; init; }
    public string? Domain { get; init; }
    public string? Industry { get; init; }
    public long? Size { get; init; }
    public string? ParentId { get; init; }
    public string? OwnerId { get; init; }
    public string? Phone { get; init; }
    public string? Website { get; init; }
}

/// <summary>A sales opportunity in a pipeline.</summary>
public sealed record Deal : TypedRecord
{
    public string? Name { get; init; }
    public string? Pipeline { get; init; }
    public string? Stage { get; init; }
    public decimal? Amount { get; init; }
    public string? Currency { get; init; }
    public string? CloseDate { get; init; }
    public decimal? Probability { get; init; }
    public string? OwnerId { get; init; }
    public string? AccountId { get; init; }
    public string? Source { get; init; }
}

/// <summary>A support case.</summary>
public sealed record Case : TypedRecord
{
    public string? Subject { get; init; }
    public string? Description { get; init; }
    public string? Status { get; init; }
    public string? Priority { get; init; }
    public string? QueueId { get; init; }
    public string? AssigneeId { get; init; }
    public string? ContactId { get; init; }
    public string? AccountId { get; init; }
}

/// <summary>Typed create, update and read for any class whose properties match record fields (camelCase).</summary>
public static class TypedRecordExtensions
{
    /// <summary>camelCase, nulls omitted, enums as strings.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The record type a typed class stands for.</summary>
    public static string RecordTypeOf<T>() => typeof(T).Name switch
    {
        nameof(Contact) => RecordTypes.Contact,
        nameof(Account) => RecordTypes.Account,
        nameof(Deal) => RecordTypes.Deal,
        nameof(Case) => RecordTypes.Case,
        var other => throw new ArgumentException($"Pass the record type explicitly for {other}."),
    };

    /// <summary>The record's fields as <typeparamref name="T"/>.</summary>
    public static T As<T>(this CrmRecord record) => JsonSerializer.Deserialize<T>(record.FieldsJson, JsonOptions)!;

    /// <summary>Creates a record from a typed object (<see cref="Contact"/>, <see cref="Deal"/>, …).</summary>
    public static Task<CrmRecord> CreateAsync<T>(this ICrmClient crm, T fields, string? id = null, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : TypedRecord =>
        crm.CreateAsync(RecordTypeOf<T>(), ToJson(fields), id, options, cancellationToken);

    /// <summary>Changes the fields a typed object sets (null properties are left alone).</summary>
    public static Task<CrmRecord> UpdateAsync<T>(this ICrmClient crm, string id, T fields, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : TypedRecord =>
        crm.UpdateAsync(RecordTypeOf<T>(), id, ToJson(fields), options, cancellationToken);

    /// <summary>A typed record, or null.</summary>
    public static async Task<T?> GetAsync<T>(this ICrmClient crm, string id, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
        where T : TypedRecord =>
        await crm.GetAsync(RecordTypeOf<T>(), id, asOf, cancellationToken) is { } record ? record.As<T>() : null;

    /// <summary>Any object as record fields.</summary>
    public static JsonObject ToJson<T>(T fields) =>
        JsonSerializer.SerializeToNode(fields, JsonOptions) as JsonObject ?? throw new ArgumentException("Fields must serialise to a JSON object.", nameof(fields));
}
