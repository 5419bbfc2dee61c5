using Crm.Engine.Storage;
using Crm.Engine.Domain;
using Crm.Engine.Filtering;
using Crm.Engine.Grains;
using Crm.Engine.Settings;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Segments;

/// <summary>
/// Works out who belongs to a segment: one record against the tenant's segments of its type, or one segment over
/// every record, and writes the differences on the members. Filters run on the read model, with relative times
/// counted from now in the tenant's time zone.
/// </summary>
internal sealed partial class SegmentEvaluator(
    ICrmClient crm, IGrainFactory grains, TimeProvider time, TenantSettingsProvider settings, SegmentCatalog catalog,
    SegmentOptions options, ILogger<SegmentEvaluator> logger)
{
    /// <summary>The timer a segment with a relative-time filter keeps, to be evaluated again when it fires.</summary>
    public const string RefreshTimer = "segment.refresh";

    private const int PageSize = 500;

    /// <summary>Brings the membership of the records linked to an account up to date, for segments reading the account's fields.</summary>
    public async Task CheckLinkedToAccountAsync(OutboxEntry entry, string accountId, CancellationToken cancellationToken)
    {
        var client = crm.ForTenant(entry.Tenant);
        foreach (var type in RecordSchema.SegmentRecordTypes.Where(t => t != RecordTypes.Account))
        {
            if (!(await catalog.OfTypeAsync(entry.Tenant, type, cancellationToken)).Any(ReadsAccount)) continue;
            var linked = new RecordQuery { Filter = Filter.Eq("accountId", accountId) };
            await foreach (var record in AllAsync(client, type, linked, cancellationToken))
            {
                await CheckRecordAsync(entry, type, record.Id, cancellationToken, keyPrefix: $"{entry.EffectKey}/{type}/{record.Id}");
            }
        }
    }

    /// <summary>Whether a segment's filter reads fields of the linked account (<c>account.industry</c>).</summary>
    public static bool ReadsAccount(SegmentDefinition segment) => segment.Filter.Contains(Storage.FilterSqlWriter.AccountPrefix, StringComparison.Ordinal);

    /// <summary>Brings one record's membership of every segment of its type up to date.</summary>
    public async Task CheckRecordAsync(OutboxEntry entry, string type, string id, CancellationToken cancellationToken, string? keyPrefix = null)
    {
        var client = crm.ForTenant(entry.Tenant);
        var record = await client.GetIncludingDeletedAsync(type, id, cancellationToken: cancellationToken);
        if (record is null) return;
        var current = Memberships(record);
        var now = await TenantNowAsync(entry.Tenant, cancellationToken);
        foreach (var segment in await catalog.OfTypeAsync(entry.Tenant, type, cancellationToken))
        {
            var member = !record.Deleted && await MatchesAsync(client, segment, record.Id, now, cancellationToken);
            if (member != current.Contains(segment.Id))
            {
                await SetAsync(entry, type, record.Id, segment.Id, member, (keyPrefix ?? entry.EffectKey) + "/" + segment.Id);
            }
        }
    }

    /// <summary>Works out a segment's members from scratch: who matches now enters, who no longer does (or every member of a deleted segment) leaves.</summary>
    public async Task EvaluateSegmentAsync(OutboxEntry entry, string segmentId, CancellationToken cancellationToken)
    {
        var client = crm.ForTenant(entry.Tenant);
        var segment = await client.GetIncludingDeletedAsync(RecordTypes.Segment, segmentId, cancellationToken: cancellationToken);
        if (segment is null) return;
        var definition = segment.Deleted ? null : SegmentCatalog.Definition(segment);
        var now = await TenantNowAsync(entry.Tenant, cancellationToken);

        var members = new HashSet<(string Type, string Id)>();
        foreach (var type in RecordSchema.SegmentRecordTypes)
        {
            var query = new RecordQuery { Filter = SegmentFilter.Members(segmentId), IncludeDeleted = true };
            await foreach (var record in AllAsync(client, type, query, cancellationToken)) members.Add((type, record.Id));
        }

        var matching = new HashSet<(string Type, string Id)>();
        if (definition is not null && Parse(definition, now) is { } filter)
        {
            await foreach (var record in AllAsync(client, definition.RecordType, new RecordQuery { Filter = filter }, cancellationToken))
            {
                matching.Add((definition.RecordType, record.Id));
            }
        }

        var changes = matching.Except(members).Select(m => (m.Type, m.Id, Member: true))
            .Concat(members.Except(matching).Select(m => (m.Type, m.Id, Member: false)))
            .ToList();
        await Parallel.ForEachAsync(changes, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken },
            async (change, token) =>
            {
                // The pass read every record a while ago; a record changed since has been checked on its own, so each
                // change is confirmed against the record as it is now before it is written.
                var member = definition is not null && change.Type == definition.RecordType
                    && await MatchesAsync(client, definition, change.Id, now, token);
                if (member == change.Member)
                {
                    await SetAsync(entry, change.Type, change.Id, segmentId, change.Member, entry.EffectKey + "/" + change.Type + "/" + change.Id);
                }
            });
        if (changes.Count > 0) LogEvaluated(logger, segmentId, entry.Tenant, changes.Count(c => c.Member), changes.Count(c => !c.Member), matching.Count);

        if (definition is not null && FilterLanguage.DependsOnTime(definition.Filter))
        {
            await client.SetTimerAsync(RecordTypes.Segment, segmentId, new RecordTimer(RefreshTimer, time.GetUtcNow() + options.RefreshInterval),
                new WriteOptions { Actor = Actor.System, EffectKey = entry.EffectKey + "/refresh", CausationId = entry.SourceEventId?.ToString() },
                cancellationToken);
        }
    }

    /// <summary>Now, in the tenant's time zone (so that <c>today</c> is the tenant's today).</summary>
    private async Task<DateTimeOffset> TenantNowAsync(string tenant, CancellationToken cancellationToken)
    {
        var zone = TenantTimeZone.Find((await settings.GetAsync(tenant, cancellationToken: cancellationToken)).TimeZone);
        return TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone);
    }

    private async Task<bool> MatchesAsync(ICrmClient client, SegmentDefinition segment, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (Parse(segment, now) is not { } filter) return false;
        try
        {
            var page = await client.QueryAsync(segment.RecordType, new RecordQuery { Filter = filter & Filter.Eq("id", id), Limit = 1 }, cancellationToken);
            return page.Items.Count > 0;
        }
        catch (ArgumentException ex)
        {
            LogUnusableFilter(logger, segment.Id, ex.Message);
            return false;
        }
    }

    private Filter? Parse(SegmentDefinition segment, DateTimeOffset now)
    {
        try
        {
            return FilterLanguage.Parse(segment.Filter, now);
        }
        catch (FilterSyntaxException ex)
        {
            LogUnusableFilter(logger, segment.Id, ex.Message);
            return null;
        }
    }

    private Task SetAsync(OutboxEntry entry, string type, string id, string segmentId, bool member, string effectKey) =>
        RecordGrainRouting.Get(grains, entry.Tenant, type, id)!.SetSegmentMembershipAsync(segmentId, member, new WriteOptions
        {
            Actor = Actor.System,
            CausationId = entry.SourceEventId?.ToString(),
            EffectKey = effectKey,
        });

    private static HashSet<string> Memberships(CrmRecord record) =>
        record.Fields[SegmentFilter.Field] is System.Text.Json.Nodes.JsonArray list
            ? [.. list.Select(n => n?.GetValue<string>()).OfType<string>()]
            : [];

    private static async IAsyncEnumerable<CrmRecord> AllAsync(ICrmClient client, string type, RecordQuery query,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await client.QueryAsync(type, query with { Limit = PageSize, Cursor = cursor, SortBy = "id" }, cancellationToken);
            foreach (var record in page.Items) yield return record;
            cursor = page.Next;
        }
        while (cursor is not null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Segment {SegmentId} of tenant {Tenant} evaluated: {Entered} entered, {Left} left, {Members} members")]
    private static partial void LogEvaluated(ILogger logger, string segmentId, string tenant, int entered, int left, int members);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Segment {SegmentId} has a filter that cannot run; it selects nothing: {Problem}")]
    private static partial void LogUnusableFilter(ILogger logger, string segmentId, string problem);
}
