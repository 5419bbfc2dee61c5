using System.Text.Json.Nodes;

namespace Crm.Engine;

/// <summary>
/// The facade applications use to work with the CRM of one tenant, without touching grains.
/// Fields are camelCase JSON; custom fields go under <c>custom</c>. Writes are acknowledged only once durable.
/// </summary>
public interface ICrmClient
{
    /// <summary>The tenant this client works in.</summary>
    string Tenant { get; }

    /// <summary>Who this client's writes are attributed to by default.</summary>
    Actor Actor { get; }

    /// <summary>The tenant's outbound messages: consent-checked sending, the suppression list, dead letters.</summary>
    Messaging.ICrmMessages Messages { get; }

    /// <summary>The dead letters of one log subscription in this tenant.</summary>
    Coordination.ICrmOutbox Outbox(string subscription);

    /// <summary>A plugin's own data in this tenant.</summary>
    Plugins.ICrmPluginData PluginData(string plugin);

    /// <summary>The tenant's rules: authoring, versions, dry-runs and backtests.</summary>
    Rules.ICrmRules Rules { get; }

    /// <summary>The tenant's segments at work: members and counts.</summary>
    Segments.ICrmSegments Segments { get; }

    /// <summary>The tenant's campaigns at work: launch and cancel.</summary>
    Segments.ICrmCampaigns Campaigns { get; }

    /// <summary>The same engine for another tenant and/or actor.</summary>
    ICrmClient ForTenant(string tenant, Actor? actor = null);

    /// <summary>Creates a record. <paramref name="id"/> is generated when null.</summary>
    Task<CrmRecord> CreateAsync(string type, JsonObject fields, string? id = null, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates many new records at once, each with everything a single create does (validation, normalisation, sync
    /// rules, history), appended together; one result per row, in order. A row that fails (invalid, a duplicate, an id
    /// that exists) fails alone. <paramref name="ids"/> (generated where null) has one entry per row when given.
    /// </summary>
    Task<IReadOnlyList<CreateResult>> CreateManyAsync(string type, IReadOnlyList<JsonObject> rows, IReadOnlyList<string?>? ids = null, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Changes fields with JSON merge-patch semantics (a null value clears a field).</summary>
    Task<CrmRecord> UpdateAsync(string type, string id, JsonObject patch, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The record, or null when it does not exist or is deleted. With <paramref name="asOf"/>, its state at that time.
    /// A record merged into another answers with the record it was merged into (its <see cref="CrmRecord.Id"/> differs).
    /// </summary>
    Task<CrmRecord?> GetAsync(string type, string id, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default);

    /// <summary>The record even when it carries a tombstone (<see cref="CrmRecord.Deleted"/>), or null when it never existed.</summary>
    Task<CrmRecord?> GetIncludingDeletedAsync(string type, string id, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes with a tombstone event; the history is kept and the record can be restored.</summary>
    Task<CrmRecord> DeleteAsync(string type, string id, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Restores a deleted record.</summary>
    Task<CrmRecord> RestoreAsync(string type, string id, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Links the owning record to another (role optional). Linking twice updates the role.</summary>
    Task<CrmRecord> LinkAsync(string type, string id, RecordLink link, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a link.</summary>
    Task<CrmRecord> UnlinkAsync(string type, string id, string targetType, string targetId, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The live record holding a unique value (<c>email</c> of contacts and users, <c>externalId</c>), or null.</summary>
    Task<CrmRecord?> FindAsync(string type, string field, string value, CancellationToken cancellationToken = default);

    /// <summary>Lists and searches records of one type.</summary>
    Task<Page<CrmRecord>> QueryAsync(string type, RecordQuery query, CancellationToken cancellationToken = default);

    /// <summary>How many records of <paramref name="type"/> the query's text, filter and deleted flag select (its cursor, order and limit aside).</summary>
    Task<long> CountAsync(string type, RecordQuery query, CancellationToken cancellationToken = default);

    /// <summary>The record's own events, oldest first, paged.</summary>
    Task<Page<CrmEvent>> GetHistoryAsync(string type, string id, string? cursor = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Everything linked to the record (interactions, tasks, deals, cases) and its own changes, newest first, paged.</summary>
    Task<Page<CrmEvent>> GetTimelineAsync(string type, string id, string? cursor = null, int limit = 50, CancellationToken cancellationToken = default);

    /// <summary>Possible duplicates of a contact or account, best first, each with a score (0–100) and reasons.</summary>
    Task<IReadOnlyList<DuplicateCandidate>> FindDuplicatesAsync(string type, string id, CancellationToken cancellationToken = default);

    /// <summary>Possible duplicate pairs over every contact or account of the tenant, a page of records at a time (each pair once).</summary>
    Task<Page<DuplicatePair>> ScanDuplicatesAsync(string type, string? cursor = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// Merges contact <paramref name="mergedId"/> into <paramref name="survivorId"/>: fills the survivor's empty fields,
    /// moves links, interactions, tasks, cases, contact points and consent, and leaves a tombstone that redirects reads.
    /// Resumable and idempotent: running it again finishes an interrupted merge or answers the finished one.
    /// </summary>
    /// <exception cref="MergeRefusedException">A record is already merged, or the merged record went to another survivor.</exception>
    Task<MergeResult> MergeAsync(string type, string survivorId, string mergedId, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Records the first response to a case's customer (no-op when one was recorded before).</summary>
    Task<CrmRecord> RecordCaseResponseAsync(string caseId, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Approves the pending stage approval of a deal: the held stage change is made, attributed to this client's actor
    /// and caused by the request. <paramref name="expectedRequestId"/>, when given, must be the pending request.
    /// </summary>
    /// <exception cref="ApprovalNotPendingException">The deal has no pending approval, or another one.</exception>
    Task<CrmRecord> ApproveStageAsync(string dealId, string? comment = null, string? expectedRequestId = null, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Rejects the pending stage approval of a deal; the deal stays in its stage.</summary>
    /// <exception cref="ApprovalNotPendingException">The deal has no pending approval, or another one.</exception>
    Task<CrmRecord> RejectStageAsync(string dealId, string? comment = null, string? expectedRequestId = null, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Records a consent decision on a contact.</summary>
    Task<ConsentEntry> SetConsentAsync(string contactId, ConsentChange change, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Every consent entry of a contact, latest decision per address, purpose and channel.</summary>
    Task<IReadOnlyList<ConsentEntry>> GetConsentAsync(string contactId, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default);

    /// <summary>May the contact be reached at <paramref name="address"/> for <paramref name="purpose"/> on <paramref name="channel"/>?</summary>
    Task<ConsentDecision> MayContactAsync(string contactId, string address, string purpose, string channel, DateTimeOffset? at = null, CancellationToken cancellationToken = default);

    /// <summary>Sets (or moves) a durable timer on a record; it fires once, as a <c>timer.fired</c> event on the record.</summary>
    Task<CrmRecord> SetTimerAsync(string type, string id, RecordTimer timer, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Cancels a pending timer of a record (nothing happens when it is not pending).</summary>
    Task<CrmRecord> CancelTimerAsync(string type, string id, string name, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The pending timers of a record, soonest first.</summary>
    Task<IReadOnlyList<RecordTimer>> GetTimersAsync(string type, string id, CancellationToken cancellationToken = default);

    /// <summary>The tenant's settings, now or as of a past time.</summary>
    Task<TenantSettings> GetSettingsAsync(DateTimeOffset? asOf = null, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces a custom field definition.</summary>
    Task<TenantSettings> DefineCustomFieldAsync(CustomFieldDefinition field, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a custom field definition (stored values stay in history).</summary>
    Task<TenantSettings> RemoveCustomFieldAsync(string recordType, string name, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces a pipeline.</summary>
    Task<TenantSettings> DefinePipelineAsync(Pipeline pipeline, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Changes time zone, base currency, phone region, business hours, holidays or consent purposes.</summary>
    Task<TenantSettings> ChangeSettingsAsync(GeneralSettingsChange change, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces the SLA target of a queue (<c>*</c>: the default) and priority (null: any).</summary>
    Task<TenantSettings> DefineSlaTargetAsync(SlaTarget target, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes the SLA target of a queue and priority; cases keep the due times they were given.</summary>
    Task<TenantSettings> RemoveSlaTargetAsync(string queueId, string? priority = null, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Sets (or replaces) the rate of a currency into the base currency from a day on.</summary>
    Task<TenantSettings> SetExchangeRateAsync(ExchangeRate rate, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes the rate of a currency set for a day.</summary>
    Task<TenantSettings> RemoveExchangeRateAsync(string currency, DateOnly from, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The tenant's reports: pipeline, forecast, win rate, funnel, cases and owner activity.</summary>
    Reports.ICrmReports Reports { get; }
}
