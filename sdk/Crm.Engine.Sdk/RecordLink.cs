namespace Crm.Engine;

/// <summary>A link from the owning record to another record, with an optional role (e.g. a contact's role at an account).</summary>
[GenerateSerializer, Immutable, Alias("crm.RecordLink")]
public sealed record RecordLink(
    [property: Id(0)] string TargetType,
    [property: Id(1)] string TargetId,
    [property: Id(2)] string? Role = null);
