namespace Crm.Engine;

/// <summary>A record that may be a duplicate of another, with a score (0–100) and the reasons for it.</summary>
[GenerateSerializer, Immutable, Alias("crm.DuplicateCandidate")]
public sealed record DuplicateCandidate
{
    /// <summary>The possible duplicate.</summary>
    [Id(0)] public required CrmRecord Record { get; init; }

    /// <summary>How likely the two are the same, 0–100.</summary>
    [Id(1)] public required int Score { get; init; }

    /// <summary>Why, e.g. "same email a@x.com", "name 92% similar, same company".</summary>
    [Id(2)] public required IReadOnlyList<string> Reasons { get; init; }
}

/// <summary>Two records of a tenant-wide scan that may be the same.</summary>
[GenerateSerializer, Immutable, Alias("crm.DuplicatePair")]
public sealed record DuplicatePair
{
    /// <summary>The record the scan was at.</summary>
    [Id(0)] public required CrmRecord Record { get; init; }

    /// <summary>Its possible duplicate, with score and reasons.</summary>
    [Id(1)] public required DuplicateCandidate Candidate { get; init; }
}

/// <summary>A field both records had with different values: the survivor's value was kept.</summary>
[GenerateSerializer, Immutable, Alias("crm.MergeConflict")]
public sealed record MergeConflict(
    [property: Id(0)] string Field,
    [property: Id(1)] string? Kept,
    [property: Id(2)] string? Discarded);

/// <summary>What a merge did: the survivor afterwards, what moved and which values conflicted.</summary>
[GenerateSerializer, Immutable, Alias("crm.MergeResult")]
public sealed record MergeResult
{
    /// <summary>The record that remains.</summary>
    [Id(0)] public required CrmRecord Survivor { get; init; }

    /// <summary>The id of the record merged into it (now a tombstone that redirects to the survivor).</summary>
    [Id(1)] public required string MergedId { get; init; }

    /// <summary>Fields of the survivor that were empty and were filled from the merged record.</summary>
    [Id(2)] public IReadOnlyList<string> FilledFields { get; init; } = [];

    /// <summary>Fields both had with different values; the survivor's were kept.</summary>
    [Id(3)] public IReadOnlyList<MergeConflict> Conflicts { get; init; } = [];

    /// <summary>Records whose links (or <c>contactId</c>) now point to the survivor, as <c>{type}/{id}</c>.</summary>
    [Id(4)] public IReadOnlyList<string> Moved { get; init; } = [];

    /// <summary>Consent decisions of the merged record that were newer and now hold on the survivor.</summary>
    [Id(5)] public int ConsentTaken { get; init; }
}

/// <summary>A merge that cannot be made: a record already merged, or one merge id used for two survivors; nothing was written.</summary>
[GenerateSerializer, Alias("crm.MergeRefusedException")]
public sealed class MergeRefusedException : CrmException
{
    public MergeRefusedException(string field, string message, string? mergedInto = null)
        : base("merge_refused", message)
    {
        Field = field;
        MergedInto = mergedInto;
    }

    /// <summary>The field of the request at fault (<c>mergeId</c> or <c>id</c>).</summary>
    [Id(0)] public string Field { get; }

    /// <summary>Where the record at fault was merged, if it was.</summary>
    [Id(1)] public string? MergedInto { get; }
}
