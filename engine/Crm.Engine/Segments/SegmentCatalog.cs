using System.Collections.Concurrent;
using Crm.Engine.Domain;

namespace Crm.Engine.Segments;

/// <summary>A live segment as membership needs it: its id, the record type it selects and its filter text.</summary>
internal sealed record SegmentDefinition(string Id, string RecordType, string Filter);

/// <summary>
/// The live segments of each tenant, read from the read model once and kept until the log shows a change to one of
/// the tenant's segments (<see cref="Forget"/>). Only the node running the segment subscription uses it.
/// </summary>
internal sealed class SegmentCatalog(ICrmClient crm)
{
    private const int PageSize = 500;
    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<SegmentDefinition>>>> _tenants = new();

    /// <summary>The tenant's live segments that select records of <paramref name="type"/>.</summary>
    public async Task<IReadOnlyList<SegmentDefinition>> OfTypeAsync(string tenant, string type, CancellationToken cancellationToken)
    {
        var all = await AllAsync(tenant, cancellationToken);
        return [.. all.Where(s => s.RecordType == type)];
    }

    /// <summary>All the tenant's live segments.</summary>
    public Task<IReadOnlyList<SegmentDefinition>> AllOfTenantAsync(string tenant, CancellationToken cancellationToken) => AllAsync(tenant, cancellationToken);

    /// <summary>Drops what is known of the tenant's segments; the next question reads them again.</summary>
    public void Forget(string tenant) => _tenants.TryRemove(tenant, out _);

    private async Task<IReadOnlyList<SegmentDefinition>> AllAsync(string tenant, CancellationToken cancellationToken)
    {
        var entry = _tenants.GetOrAdd(tenant, t => new Lazy<Task<IReadOnlyList<SegmentDefinition>>>(() => LoadAsync(t)));
        try
        {
            return await entry.Value.WaitAsync(cancellationToken);
        }
        catch when (!cancellationToken.IsCancellationRequested)
        {
            // A failed read is not remembered.
            _tenants.TryRemove(new KeyValuePair<string, Lazy<Task<IReadOnlyList<SegmentDefinition>>>>(tenant, entry));
            throw;
        }
    }

    private async Task<IReadOnlyList<SegmentDefinition>> LoadAsync(string tenant)
    {
        var client = crm.ForTenant(tenant);
        var segments = new List<SegmentDefinition>();
        string? cursor = null;
        do
        {
            var page = await client.QueryAsync(RecordTypes.Segment, new RecordQuery { Limit = PageSize, Cursor = cursor });
            foreach (var record in page.Items)
            {
                if (Definition(record) is { } definition) segments.Add(definition);
            }

            cursor = page.Next;
        }
        while (cursor is not null);

        return segments;
    }

    /// <summary>The definition a segment record holds, or null when it is incomplete.</summary>
    public static SegmentDefinition? Definition(CrmRecord record) =>
        record.GetString("recordType") is { } type && record.GetString("filter") is { } filter && RecordSchema.SegmentRecordTypes.Contains(type)
            ? new SegmentDefinition(record.Id, type, filter)
            : null;
}
