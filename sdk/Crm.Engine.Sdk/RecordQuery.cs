using System.Text.Json.Nodes;

namespace Crm.Engine;

/// <summary>Comparison operators of the filter language.</summary>
public enum FilterOperator
{
    Eq, Ne, Lt, Le, Gt, Ge, In, Contains, StartsWith, Exists,
}

/// <summary>A filter over record fields: comparisons combined with and / or / not.</summary>
[GenerateSerializer, Immutable, Alias("crm.Filter")]
public abstract record Filter
{
    /// <summary>Both must hold.</summary>
    public static Filter operator &(Filter a, Filter b) => new AndFilter([a, b]);

    /// <summary>Either must hold.</summary>
    public static Filter operator |(Filter a, Filter b) => new OrFilter([a, b]);

    /// <summary>Must not hold.</summary>
    public static Filter operator !(Filter a) => new NotFilter(a);

    /// <summary><c>field eq value</c>.</summary>
    public static Filter Eq(string field, object? value) => new Comparison(field, FilterOperator.Eq, ToJson(value));

    /// <summary><c>field op value</c>.</summary>
    public static Filter Compare(string field, FilterOperator op, object? value) => new Comparison(field, op, ToJson(value));

    internal static string? ToJson(object? value) => value switch
    {
        null => null,
        JsonNode n => n.ToJsonString(),
        _ => System.Text.Json.JsonSerializer.Serialize(value),
    };
}

/// <summary>All of the parts hold.</summary>
[GenerateSerializer, Immutable, Alias("crm.AndFilter")]
public sealed record AndFilter([property: Id(0)] IReadOnlyList<Filter> Parts) : Filter;

/// <summary>At least one part holds.</summary>
[GenerateSerializer, Immutable, Alias("crm.OrFilter")]
public sealed record OrFilter([property: Id(0)] IReadOnlyList<Filter> Parts) : Filter;

/// <summary>The inner filter does not hold.</summary>
[GenerateSerializer, Immutable, Alias("crm.NotFilter")]
public sealed record NotFilter([property: Id(0)] Filter Inner) : Filter;

/// <summary>
/// A field compared with a JSON value. Field paths are camelCase names; custom fields are <c>custom.name</c>.
/// For <see cref="FilterOperator.In"/> the value is a JSON array; for <see cref="FilterOperator.Exists"/> it is ignored.
/// </summary>
[GenerateSerializer, Immutable, Alias("crm.Comparison")]
public sealed record Comparison(
    [property: Id(0)] string Field,
    [property: Id(1)] FilterOperator Operator,
    [property: Id(2)] string? ValueJson) : Filter;

/// <summary>A list query: optional full-text search, filter, sort and cursor paging.</summary>
[GenerateSerializer, Immutable, Alias("crm.RecordQuery")]
public sealed record RecordQuery
{
    /// <summary>Full-text search over names, emails, phones, company and tags (word prefixes match).</summary>
    [Id(0)] public string? Text { get; init; }
    [Id(1)] public Filter? Filter { get; init; }

    /// <summary>Field to sort by (default: creation order); ties break by id.</summary>
    [Id(2)] public string? SortBy { get; init; }
    [Id(3)] public bool Descending { get; init; }

    /// <summary>Page size, 1 to 1,000 (default 50).</summary>
    [Id(4)] public int Limit { get; init; } = 50;

    /// <summary>The <see cref="Page{T}.Next"/> cursor of the previous page.</summary>
    [Id(5)] public string? Cursor { get; init; }

    /// <summary>Include tombstoned records.</summary>
    [Id(6)] public bool IncludeDeleted { get; init; }
}
