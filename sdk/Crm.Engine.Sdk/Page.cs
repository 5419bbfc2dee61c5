namespace Crm.Engine;

/// <summary>One page of results and the cursor for the next page (null at the end).</summary>
[GenerateSerializer, Immutable, Alias("crm.Page")]
public sealed record Page<T>(
    [property: Id(0)] IReadOnlyList<T> Items,
    [property: Id(1)] string? Next)
{
    /// <summary>An empty last page.</summary>
    public static Page<T> Empty { get; } = new([], null);
}
