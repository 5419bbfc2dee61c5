using System.Globalization;
using Crm.Engine.Storage;
using Orleans.Concurrency;

namespace Crm.Engine.Grains;

/// <summary>Read-model queries, history and timelines; stateless, so any silo serves them in parallel.</summary>
[StatelessWorker]
internal sealed class RecordReaderGrain(IEventStore store) : Grain, IRecordReaderGrain
{
    private string Tenant => this.GetPrimaryKeyString();

    public async Task<Page<CrmRecord>> QueryAsync(string type, RecordQuery query)
    {
        // A search for a whole email address answers from the uniqueness index (a point lookup) when someone holds it;
        // full-text search would scan every row sharing "example" and "com".
        if (type is RecordTypes.Contact or RecordTypes.User && query.Cursor is null && query.Text is { } text &&
            !text.Trim().Contains(' ') && Domain.ContactPoints.NormalizeEmail(text) is { } email &&
            await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim($"{type}.email", email)) is { } holder)
        {
            var exact = Filter.Compare("id", FilterOperator.Eq, holder);
            query = query with { Text = null, Filter = query.Filter is null ? exact : query.Filter & exact };
        }

        var page = await store.ReadModel.QueryAsync(Tenant, type, query);
        return new Page<CrmRecord>([.. page.Items.Select(ToRecord)], page.Next);
    }

    public Task<long> CountAsync(string type, RecordQuery query) => store.ReadModel.CountAsync(Tenant, type, query);

    public async Task<string?> FindIdAsync(string type, string field, string value)
    {
        var normalized = field == "email" ? Domain.ContactPoints.NormalizeEmail(value) : value.Trim();
        return normalized is null ? null : await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim($"{type}.{field}", normalized));
    }

    public async Task<Page<CrmEvent>> HistoryAsync(string type, string id, string? cursor, int limit)
    {
        var from = 1L;
        if (cursor is not null && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out from) || from < 1))
        {
            throw new ValidationException("cursor", "is not a cursor returned by this API");
        }

        var events = await store.ReadStreamAsync(Tenant, StreamIds.ForRecord(type, id), from, limit + 1);
        return events.Count > limit
            ? new Page<CrmEvent>([.. events.Take(limit)], events[limit].Version.ToString(CultureInfo.InvariantCulture))
            : new Page<CrmEvent>(events, null);
    }

    public Task<Page<CrmEvent>> TimelineAsync(string type, string id, string? cursor, int limit) =>
        store.ReadModel.TimelineAsync(Tenant, StreamIds.ForRecord(type, id), cursor, limit);

    internal static CrmRecord ToRecord(RecordRow row) => new()
    {
        Id = row.Id,
        Type = row.Type,
        Version = row.Version,
        Deleted = row.Deleted,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        FieldsJson = row.DataJson,
        Links = row.Links,
    };
}
