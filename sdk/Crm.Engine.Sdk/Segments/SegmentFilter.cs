namespace Crm.Engine.Segments;

/// <summary>Filters about segment membership, which every record of a segmentable type lists in its <c>segments</c> field.</summary>
public static class SegmentFilter
{
    /// <summary>The record field listing the ids of the segments a record belongs to.</summary>
    public const string Field = "segments";

    /// <summary>The records that are members of the segment: <c>segments contains "{segmentId}"</c>.</summary>
    public static Filter Members(string segmentId) => Filter.Compare(Field, FilterOperator.Contains, segmentId);
}
