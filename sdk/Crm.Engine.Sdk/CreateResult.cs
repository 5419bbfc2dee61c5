namespace Crm.Engine;

/// <summary>One row of a bulk create, in the order of the rows: the record created, or the error that refused it.</summary>
[GenerateSerializer, Immutable, Alias("crm.CreateResult")]
public sealed record CreateResult
{
    /// <summary>The record as created, or null when the row was refused.</summary>
    [Id(0)] public CrmRecord? Record { get; init; }

    /// <summary>Why the row was refused (validation, duplicate, exists, a rule), or null when it was created.</summary>
    [Id(1)] public CrmException? Error { get; init; }
}
