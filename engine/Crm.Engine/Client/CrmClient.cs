using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Grains;

namespace Crm.Engine.Client;

/// <summary>The <see cref="ICrmClient"/> over Orleans grains; works in a silo and from an Orleans client alike.</summary>
internal sealed class CrmClient : ICrmClient
{
    private readonly IGrainFactory _grains;

    public CrmClient(IGrainFactory grains, string tenant, Actor actor)
    {
        RecordIds.EnsureValidTenant(tenant);
        _grains = grains;
        Tenant = tenant;
        Actor = actor;
    }

    public string Tenant { get; }
    public Actor Actor { get; }
    public Rules.ICrmRules Rules => new CrmRules(_grains, Tenant, Actor);
    public Segments.ICrmSegments Segments => new CrmSegments(this, TimeProvider.System);
    public Segments.ICrmCampaigns Campaigns => new CrmCampaigns(_grains, Tenant, Actor);
    public Reports.ICrmReports Reports => new CrmReports(_grains, Tenant);
    public Messaging.ICrmMessages Messages => new CrmMessages(_grains, Tenant, Actor);
    public Plugins.ICrmPluginData PluginData(string plugin) => new CrmPluginData(_grains, Tenant, plugin, Actor);

    public Coordination.ICrmOutbox Outbox(string subscription)
    {
        ArgumentException.ThrowIfNullOrEmpty(subscription);
        return new CrmOutbox(_grains, Tenant, subscription);
    }

    public ICrmClient ForTenant(string tenant, Actor? actor = null) => new CrmClient(_grains, tenant, actor ?? Actor);

    public Task<CrmRecord> CreateAsync(string type, JsonObject fields, string? id = null, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        id ??= RecordIds.New();
        RecordIds.EnsureValid(id);
        return Record(type, id).CreateAsync(fields.ToJsonString(), options.ActingAs(Actor));
    }

    public async Task<IReadOnlyList<CreateResult>> CreateManyAsync(string type, IReadOnlyList<JsonObject> rows, IReadOnlyList<string?>? ids = null,
        WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (ids is not null && ids.Count != rows.Count) throw new ValidationException("ids", "must have one entry per row");
        if (!RecordTypes.IsKnown(type)) throw new ValidationException("type", $"must be one of: {string.Join(", ", RecordTypes.All)}");
        var write = options.ActingAs(Actor) with { ExpectedVersion = null, EffectKey = null };
        var allIds = new string[rows.Count];
        for (var i = 0; i < rows.Count; i++) allIds[i] = ids?[i] ?? RecordIds.New();
        if (!RecordImportGrain.Supports(type))
        {
            // Deals and cases plan stage and SLA events in their own grains: one create each, all at once.
            return await Task.WhenAll(rows.Select(async (row, i) =>
            {
                try
                {
                    return new CreateResult { Record = await CreateAsync(type, row, allIds[i], write, cancellationToken) };
                }
                catch (CrmException ex)
                {
                    return new CreateResult { Error = ex };
                }
            }));
        }

        var importer = _grains.GetGrain<IRecordImportGrain>(Tenant);
        var chunks = await Task.WhenAll(Enumerable.Range(0, (rows.Count + BulkChunk - 1) / BulkChunk).Select(c =>
        {
            var from = c * BulkChunk;
            var count = Math.Min(BulkChunk, rows.Count - from);
            return importer.CreateManyAsync(type, allIds[from..(from + count)], [.. rows.Skip(from).Take(count).Select(r => r.ToJsonString())], write);
        }));
        return [.. chunks.SelectMany(c => c)];
    }

    // Rows per call of the bulk create grain: enough for the store's group commit to fill its transactions.
    private const int BulkChunk = RecordImportGrain.MaxRows;

    public Task<CrmRecord> UpdateAsync(string type, string id, JsonObject patch, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Record(type, Valid(id)).UpdateAsync(patch.ToJsonString(), options.ActingAs(Actor));

    public async Task<CrmRecord?> GetAsync(string type, string id, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        if (!RecordIds.IsValid(id)) return null;
        var record = await Record(type, id).GetAsync(asOf);
        // A merged record redirects to the one it was merged into (following a chain of merges, a few steps at most).
        for (var hops = 0; record is { Deleted: true, MergedInto: { } survivor } && hops < MaxMergeHops; hops++)
        {
            record = await Record(type, survivor).GetAsync(asOf);
        }

        return record is { Deleted: false } ? record : null;
    }

    private const int MaxMergeHops = 16;

    public Task<IReadOnlyList<DuplicateCandidate>> FindDuplicatesAsync(string type, string id, CancellationToken cancellationToken = default)
    {
        EnsureDuplicateType(type);
        return Duplicates.FindAsync(type, Valid(id));
    }

    public Task<Page<DuplicatePair>> ScanDuplicatesAsync(string type, string? cursor = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        EnsureDuplicateType(type);
        if (limit is < 1 or > 500) throw new ValidationException("limit", "must be between 1 and 500");
        return Duplicates.ScanAsync(type, cursor, limit);
    }

    public Task<MergeResult> MergeAsync(string type, string survivorId, string mergedId, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        EnsureType(type);
        if (type != RecordTypes.Contact) throw new ValidationException("type", "only contacts can be merged");
        RecordIds.EnsureValid(survivorId);
        if (string.IsNullOrEmpty(mergedId) || !RecordIds.IsValid(mergedId)) throw new ValidationException("mergeId", "is not a valid record id");
        if (survivorId == mergedId) throw new ValidationException("mergeId", "a contact cannot be merged into itself");
        return _grains.GetGrain<IContactMergeGrain>(RecordIds.GrainKey(Tenant, mergedId)).MergeAsync(survivorId, options.ActingAs(Actor));
    }

    private IDuplicateFinderGrain Duplicates => _grains.GetGrain<IDuplicateFinderGrain>(Tenant);

    private static void EnsureDuplicateType(string type)
    {
        if (type is not (RecordTypes.Contact or RecordTypes.Account)) throw new ValidationException("type", "duplicates are found for contacts and accounts");
    }

    public Task<CrmRecord?> GetIncludingDeletedAsync(string type, string id, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default) =>
        RecordIds.IsValid(id) ? Record(type, id).GetAsync(asOf) : Task.FromResult<CrmRecord?>(null);

    public Task<CrmRecord> DeleteAsync(string type, string id, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Record(type, Valid(id)).DeleteAsync(options.ActingAs(Actor));

    public Task<CrmRecord> RestoreAsync(string type, string id, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Record(type, Valid(id)).RestoreAsync(options.ActingAs(Actor));

    public Task<CrmRecord> LinkAsync(string type, string id, RecordLink link, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Record(type, Valid(id)).LinkAsync(link, options.ActingAs(Actor));

    public Task<CrmRecord> SetTimerAsync(string type, string id, RecordTimer timer, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(timer);
        return Record(type, Valid(id)).SetTimerAsync(timer, options.ActingAs(Actor));
    }

    public Task<CrmRecord> CancelTimerAsync(string type, string id, string name, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Record(type, Valid(id)).CancelTimerAsync(name, options.ActingAs(Actor));

    public Task<IReadOnlyList<RecordTimer>> GetTimersAsync(string type, string id, CancellationToken cancellationToken = default) =>
        Record(type, Valid(id)).GetTimersAsync();

    public Task<CrmRecord> UnlinkAsync(string type, string id, string targetType, string targetId, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Record(type, Valid(id)).UnlinkAsync(targetType, targetId, options.ActingAs(Actor));

    public async Task<CrmRecord?> FindAsync(string type, string field, string value, CancellationToken cancellationToken = default)
    {
        EnsureType(type);
        var id = await Reader.FindIdAsync(type, field, value);
        return id is null ? null : await GetAsync(type, id, null, cancellationToken);
    }

    public Task<Page<CrmRecord>> QueryAsync(string type, RecordQuery query, CancellationToken cancellationToken = default)
    {
        EnsureType(type);
        if (query.Limit is < 1 or > 1000) throw new ValidationException("limit", "must be between 1 and 1000");
        return Reader.QueryAsync(type, query);
    }

    public Task<long> CountAsync(string type, RecordQuery query, CancellationToken cancellationToken = default)
    {
        EnsureType(type);
        return Reader.CountAsync(type, query);
    }

    public Task<Page<CrmEvent>> GetHistoryAsync(string type, string id, string? cursor = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        EnsureType(type);
        if (limit is < 1 or > 1000) throw new ValidationException("limit", "must be between 1 and 1000");
        return Reader.HistoryAsync(type, Valid(id), cursor, limit);
    }

    public Task<Page<CrmEvent>> GetTimelineAsync(string type, string id, string? cursor = null, int limit = 50, CancellationToken cancellationToken = default)
    {
        EnsureType(type);
        if (limit is < 1 or > 1000) throw new ValidationException("limit", "must be between 1 and 1000");
        return Reader.TimelineAsync(type, Valid(id), cursor, limit);
    }

    public Task<ConsentEntry> SetConsentAsync(string contactId, ConsentChange change, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Contact(contactId).SetConsentAsync(change, options.ActingAs(Actor));

    public Task<IReadOnlyList<ConsentEntry>> GetConsentAsync(string contactId, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default) =>
        Contact(contactId).GetConsentAsync(asOf);

    public Task<ConsentDecision> MayContactAsync(string contactId, string address, string purpose, string channel, DateTimeOffset? at = null, CancellationToken cancellationToken = default) =>
        Contact(contactId).MayContactAsync(address, purpose, channel, at);

    public Task<TenantSettings> GetSettingsAsync(DateTimeOffset? asOf = null, CancellationToken cancellationToken = default) => SettingsGrain.GetAsync(asOf);

    public Task<TenantSettings> DefineCustomFieldAsync(CustomFieldDefinition field, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        SettingsGrain.DefineCustomFieldAsync(field, options.ActingAs(Actor));

    public Task<TenantSettings> RemoveCustomFieldAsync(string recordType, string name, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        SettingsGrain.RemoveCustomFieldAsync(recordType, name, options.ActingAs(Actor));

    public Task<TenantSettings> DefinePipelineAsync(Pipeline pipeline, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        SettingsGrain.DefinePipelineAsync(pipeline, options.ActingAs(Actor));

    public Task<TenantSettings> ChangeSettingsAsync(GeneralSettingsChange change, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        SettingsGrain.ChangeGeneralAsync(change, options.ActingAs(Actor));

    public Task<TenantSettings> DefineSlaTargetAsync(SlaTarget target, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return SettingsGrain.DefineSlaTargetAsync(target, options.ActingAs(Actor));
    }

    public Task<TenantSettings> RemoveSlaTargetAsync(string queueId, string? priority = null, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        SettingsGrain.RemoveSlaTargetAsync(queueId, priority, options.ActingAs(Actor));

    public Task<TenantSettings> SetExchangeRateAsync(ExchangeRate rate, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rate);
        return SettingsGrain.SetExchangeRateAsync(rate, options.ActingAs(Actor));
    }

    public Task<TenantSettings> RemoveExchangeRateAsync(string currency, DateOnly from, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        SettingsGrain.RemoveExchangeRateAsync(currency, from, options.ActingAs(Actor));

    public Task<CrmRecord> ApproveStageAsync(string dealId, string? comment = null, string? expectedRequestId = null, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Deal(dealId).ApproveStageAsync(comment, expectedRequestId, options.ActingAs(Actor));

    public Task<CrmRecord> RejectStageAsync(string dealId, string? comment = null, string? expectedRequestId = null, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Deal(dealId).RejectStageAsync(comment, expectedRequestId, options.ActingAs(Actor));

    public Task<CrmRecord> RecordCaseResponseAsync(string caseId, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _grains.GetGrain<ICaseGrain>(RecordIds.GrainKey(Tenant, Valid(caseId))).RecordResponseAsync(options.ActingAs(Actor));

    private IRecordReaderGrain Reader => _grains.GetGrain<IRecordReaderGrain>(Tenant);

    private ITenantSettingsGrain SettingsGrain => _grains.GetGrain<ITenantSettingsGrain>(Tenant);

    private IDealGrain Deal(string id) => _grains.GetGrain<IDealGrain>(RecordIds.GrainKey(Tenant, Valid(id)));

    private IContactGrain Contact(string id) => _grains.GetGrain<IContactGrain>(RecordIds.GrainKey(Tenant, Valid(id)));

    private static string Valid(string id)
    {
        RecordIds.EnsureValid(id);
        return id;
    }

    private static void EnsureType(string type)
    {
        if (!RecordTypes.IsKnown(type)) throw new ValidationException("type", $"must be one of: {string.Join(", ", RecordTypes.All)}");
    }

    private IRecordGrain Record(string type, string id) =>
        RecordGrainRouting.Get(_grains, Tenant, type, id) ?? throw new ValidationException("type", $"must be one of: {string.Join(", ", RecordTypes.All)}");
}
