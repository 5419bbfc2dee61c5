using Crm.Engine.Domain;
using Crm.Engine.Filtering;
using Crm.Engine.Segments;

namespace Crm.Engine.Client;

/// <summary><see cref="ICrmSegments"/> over the read model: members are the records whose <c>segments</c> list the segment.</summary>
internal sealed class CrmSegments(ICrmClient crm, TimeProvider time) : ICrmSegments
{
    public async Task<Page<CrmRecord>> MembersAsync(string segmentId, string? cursor = null, int limit = 50, CancellationToken cancellationToken = default)
    {
        var type = await RecordTypeOfAsync(segmentId, cancellationToken);
        return await crm.QueryAsync(type, new RecordQuery { Filter = SegmentFilter.Members(segmentId), Cursor = cursor, Limit = limit }, cancellationToken);
    }

    public async Task<long> CountAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        var type = await RecordTypeOfAsync(segmentId, cancellationToken);
        return await crm.CountAsync(type, new RecordQuery { Filter = SegmentFilter.Members(segmentId) }, cancellationToken);
    }

    public Task<long> PreviewCountAsync(string recordType, string filter, CancellationToken cancellationToken = default)
    {
        if (!RecordSchema.SegmentRecordTypes.Contains(recordType))
        {
            throw new ValidationException("recordType", $"must be one of: {string.Join(", ", RecordSchema.SegmentRecordTypes)}");
        }

        Filter parsed;
        try
        {
            parsed = FilterLanguage.Parse(filter, time.GetUtcNow());
        }
        catch (FilterSyntaxException ex)
        {
            throw new ValidationException("filter", "is not a valid filter: " + ex.Message);
        }

        return crm.CountAsync(recordType, new RecordQuery { Filter = parsed }, cancellationToken);
    }

    private async Task<string> RecordTypeOfAsync(string segmentId, CancellationToken cancellationToken)
    {
        var segment = await crm.GetAsync(RecordTypes.Segment, segmentId, cancellationToken: cancellationToken)
            ?? throw new RecordNotFoundException(RecordTypes.Segment, segmentId);
        return segment.GetString("recordType") ?? RecordTypes.Contact;
    }
}
