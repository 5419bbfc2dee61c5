namespace Crm.Engine.Segments;

/// <summary>
/// A tenant's segments at work (<c>crm.Segments</c>). A segment is a <c>segment</c> record — <c>name</c>,
/// <c>recordType</c> (contact, account, deal or case) and <c>filter</c> in the filter language — created and changed
/// like any record; the engine keeps its members current and lists each record's segments in its <c>segments</c> field.
/// </summary>
public interface ICrmSegments
{
    /// <summary>A page of the segment's members, oldest first.</summary>
    /// <exception cref="RecordNotFoundException">No such segment.</exception>
    Task<Page<CrmRecord>> MembersAsync(string segmentId, string? cursor = null, int limit = 50, CancellationToken cancellationToken = default);

    /// <summary>How many members the segment has.</summary>
    /// <exception cref="RecordNotFoundException">No such segment.</exception>
    Task<long> CountAsync(string segmentId, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many records the segment's filter selects right now, which its members catch up with as the engine
    /// follows the log; also for checking a filter before saving it as a segment.
    /// </summary>
    Task<long> PreviewCountAsync(string recordType, string filter, CancellationToken cancellationToken = default);
}
