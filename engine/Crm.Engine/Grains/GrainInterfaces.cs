using Crm.Engine.Rules;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>A grain owning a stream that can hold durable timers (records, a tenant's rules).</summary>
[Alias("crm.ITimerOwnerGrain")]
public interface ITimerOwnerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Fires a pending timer under the scheduler's lease: appends <c>timer.fired</c> and removes the timer in one
    /// append. False when the timer is no longer pending at that due time (fired, cancelled or moved).
    /// </summary>
    [Alias("FireTimer")] Task<bool> FireTimerAsync(DurableTimer timer, LeaseFence fence);
}

/// <summary>A record grain keyed <c>{tenant}/{id}</c>; it owns the record's stream and is the only writer of it.</summary>
[Alias("crm.IRecordGrain")]
public interface IRecordGrain : ITimerOwnerGrain
{
    [Alias("Create")] Task<CrmRecord> CreateAsync(string fieldsJson, WriteOptions options);
    [Alias("Update")] Task<CrmRecord> UpdateAsync(string patchJson, WriteOptions options);
    [Alias("Delete")] Task<CrmRecord> DeleteAsync(WriteOptions options);
    [Alias("Restore")] Task<CrmRecord> RestoreAsync(WriteOptions options);
    [Alias("Link")] Task<CrmRecord> LinkAsync(RecordLink link, WriteOptions options);
    [Alias("Unlink")] Task<CrmRecord> UnlinkAsync(string targetType, string targetId, WriteOptions options);

    /// <summary>The record (deleted ones too, flagged), or null when it never existed.</summary>
    [Alias("Get")] Task<CrmRecord?> GetAsync(DateTimeOffset? asOf);

    [Alias("SetTimer")] Task<CrmRecord> SetTimerAsync(RecordTimer timer, WriteOptions options);
    [Alias("CancelTimer")] Task<CrmRecord> CancelTimerAsync(string name, WriteOptions options);
    [Alias("GetTimers")] Task<IReadOnlyList<RecordTimer>> GetTimersAsync();


    /// <summary>
    /// Records that the record entered or left a segment; nothing when it already stands so (a deleted record enters
    /// none). Membership events do not change <c>updatedAt</c>.
    /// </summary>
    [Alias("SetSegmentMembership")] Task<CrmRecord> SetSegmentMembershipAsync(string segmentId, bool member, WriteOptions options);

    /// <summary>
    /// Points this record's link to <c>{targetType}/{fromId}</c> (and a <c>{targetType}Id</c> field holding it) at
    /// <paramref name="toId"/> in one append; nothing when it holds neither (a merge moving references).
    /// </summary>
    [Alias("MoveReferences")] Task<CrmRecord> MoveReferencesAsync(string targetType, string fromId, string toId, WriteOptions options);

    /// <summary>Applies what a react rule asked of this record (fields, tags, assignment, score, timers) in one append.</summary>
    [Alias("ApplyRuleActions")] Task<CrmRecord> ApplyRuleActionsAsync(string ruleId, int ruleVersion, IReadOnlyList<RuleAction> actions, WriteOptions options);
}

[Alias("crm.IContactGrain")]
public interface IContactGrain : IRecordGrain
{
    [Alias("SetConsent")] Task<ConsentEntry> SetConsentAsync(ConsentChange change, WriteOptions options);
    [Alias("GetConsent")] Task<IReadOnlyList<ConsentEntry>> GetConsentAsync(DateTimeOffset? asOf);
    [Alias("MayContact")] Task<ConsentDecision> MayContactAsync(string address, string purpose, string channel, DateTimeOffset? at);

    /// <summary>Fills in a message's templates and queues it (<c>contact.messageRequested</c>); answers its id.</summary>
    [Alias("RequestMessage")] Task<string> RequestMessageAsync(Messaging.MessageRequest request, WriteOptions options);

    /// <summary>Records what became of a queued message: <c>contact.messageSent</c>, <c>messageBlocked</c> or <c>messageFailed</c>.</summary>
    [Alias("RecordMessageOutcome")] Task RecordMessageOutcomeAsync(string eventType, string payloadJson, WriteOptions options);

    /// <summary>Tombstones this contact as merged into <paramref name="survivorId"/> (<c>record.mergedInto</c>); nothing when it already is.</summary>
    [Alias("MarkMerged")] Task MarkMergedAsync(string survivorId, WriteOptions options);

    /// <summary>
    /// Takes in contact <paramref name="mergedId"/> (already tombstoned into this one): fields, tags, contact points,
    /// links and newer consent, with <c>record.merged</c>, in one append. Answers that event's payload (JSON); once per merged id.
    /// </summary>
    [Alias("AbsorbMerged")] Task<string> AbsorbMergedAsync(string mergedId, WriteOptions options);
}

/// <summary>The merge of one contact into another (key: <c>{tenant}/{mergedId}</c>), its progress in stream <c>merge/contact/{mergedId}</c>.</summary>
[Alias("crm.IContactMergeGrain")]
public interface IContactMergeGrain : IGrainWithStringKey
{
    /// <summary>Runs the merge into <paramref name="survivorId"/>, or finishes an interrupted one, or answers the finished one.</summary>
    [Alias("Merge")] Task<MergeResult> MergeAsync(string survivorId, WriteOptions options);
}

/// <summary>Duplicate detection over a tenant's read model (key: tenant id); stateless.</summary>
[Alias("crm.IDuplicateFinderGrain")]
public interface IDuplicateFinderGrain : IGrainWithStringKey
{
    [Alias("Find")] Task<IReadOnlyList<DuplicateCandidate>> FindAsync(string type, string id);
    [Alias("Scan")] Task<Page<DuplicatePair>> ScanAsync(string type, string? cursor, int limit);
}

[Alias("crm.ICaseGrain")]
public interface ICaseGrain : IRecordGrain
{
    /// <summary>Records the first response to the customer (starts nothing if one was recorded).</summary>
    [Alias("RecordResponse")] Task<CrmRecord> RecordResponseAsync(WriteOptions options);
}

[Alias("crm.IDealGrain")]
public interface IDealGrain : IRecordGrain
{
    /// <summary>
    /// Grants the pending stage approval: <c>deal.approvalGranted</c> and the held stage change in one append, caused
    /// by the request. <paramref name="expectedRequestId"/>, when given, must be the pending request.
    /// </summary>
    [Alias("ApproveStage")] Task<CrmRecord> ApproveStageAsync(string? comment, string? expectedRequestId, WriteOptions options);

    /// <summary>Rejects the pending stage approval (<c>deal.approvalRejected</c>); the deal stays in its stage.</summary>
    [Alias("RejectStage")] Task<CrmRecord> RejectStageAsync(string? comment, string? expectedRequestId, WriteOptions options);
}

[Alias("crm.IAccountGrain")] public interface IAccountGrain : IRecordGrain;
[Alias("crm.IInteractionGrain")] public interface IInteractionGrain : IRecordGrain;
[Alias("crm.ITaskGrain")] public interface ITaskGrain : IRecordGrain;
[Alias("crm.IUserGrain")] public interface IUserGrain : IRecordGrain;
[Alias("crm.ITeamGrain")] public interface ITeamGrain : IRecordGrain;
[Alias("crm.IQueueGrain")] public interface IQueueGrain : IRecordGrain;
[Alias("crm.ISegmentGrain")] public interface ISegmentGrain : IRecordGrain;

/// <summary>Where a campaign's run stands: its status, where the next page of recipients starts and that page's number.</summary>
[GenerateSerializer, Immutable, Alias("crm.CampaignRun")]
public sealed record CampaignRun([property: Id(0)] string Status, [property: Id(1)] string? Cursor, [property: Id(2)] int Page);

[Alias("crm.ICampaignGrain")]
public interface ICampaignGrain : IRecordGrain
{
    /// <summary>Starts sending: checks the campaign and its segment (of contacts), then records the launch.</summary>
    [Alias("Launch")] Task<CrmRecord> LaunchAsync(WriteOptions options);

    /// <summary>Stops a draft or running campaign; what was queued still goes out.</summary>
    [Alias("Cancel")] Task<CrmRecord> CancelAsync(WriteOptions options);

    /// <summary>Where the run stands (for the runner, which resumes from it).</summary>
    [Alias("GetRun")] Task<CampaignRun> GetRunAsync();

    /// <summary>Records that page <paramref name="page"/> of recipients was queued; a null <paramref name="nextCursor"/> completes the run.</summary>
    [Alias("RecordPage")] Task<CrmRecord> RecordPageAsync(int page, int queued, string? nextCursor, WriteOptions options);

    /// <summary>Adds message outcomes to the counts: <c>{ sent, failed, blocked: { code: n } }</c>.</summary>
    [Alias("Tally")] Task<CrmRecord> TallyAsync(string countsJson, WriteOptions options);
}

/// <summary>The settings of one tenant (key: tenant id); a stream like any record.</summary>
/// <summary>A tenant's reports, computed from the reports projection and the tenant's settings; stateless.</summary>
[Alias("crm.IReportGrain")]
public interface IReportGrain : IGrainWithStringKey
{
    [Alias("Pipeline")] Task<Reports.PipelineReport> PipelineAsync(Reports.ReportQuery query);
    [Alias("Forecast")] Task<Reports.ForecastReport> ForecastAsync(Reports.ReportQuery query);
    [Alias("WinRate")] Task<Reports.WinRateReport> WinRateAsync(Reports.ReportQuery query);
    [Alias("Funnel")] Task<Reports.FunnelReport> FunnelAsync(Reports.ReportQuery query);
    [Alias("Cases")] Task<Reports.CaseReport> CasesAsync(Reports.ReportQuery query);
    [Alias("OwnerActivity")] Task<Reports.OwnerActivityReport> OwnerActivityAsync(Reports.ReportQuery query);
    [Alias("Status")] Task<Reports.ReportStatus> StatusAsync();
    [Alias("Rebuild")] Task RebuildAsync();
}

[Alias("crm.ITenantSettingsGrain")]
public interface ITenantSettingsGrain : IGrainWithStringKey
{
    [Alias("Get")] Task<TenantSettings> GetAsync(DateTimeOffset? asOf);
    [Alias("DefineCustomField")] Task<TenantSettings> DefineCustomFieldAsync(CustomFieldDefinition field, WriteOptions options);
    [Alias("RemoveCustomField")] Task<TenantSettings> RemoveCustomFieldAsync(string recordType, string name, WriteOptions options);
    [Alias("DefinePipeline")] Task<TenantSettings> DefinePipelineAsync(Pipeline pipeline, WriteOptions options);
    [Alias("ChangeGeneral")] Task<TenantSettings> ChangeGeneralAsync(GeneralSettingsChange change, WriteOptions options);
    [Alias("DefineSlaTarget")] Task<TenantSettings> DefineSlaTargetAsync(SlaTarget target, WriteOptions options);
    [Alias("RemoveSlaTarget")] Task<TenantSettings> RemoveSlaTargetAsync(string queueId, string? priority, WriteOptions options);
    [Alias("SetExchangeRate")] Task<TenantSettings> SetExchangeRateAsync(ExchangeRate rate, WriteOptions options);
    [Alias("RemoveExchangeRate")] Task<TenantSettings> RemoveExchangeRateAsync(string currency, DateOnly from, WriteOptions options);
}

/// <summary>Bulk creates of one tenant (key: tenant id); stateless, runs on any silo.</summary>
[Alias("crm.IRecordImportGrain")]
public interface IRecordImportGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates new records of <paramref name="type"/> with the given ids and fields (JSON objects), each as a create
    /// through its own grain would, appended together; one result per row, in order. A row whose id exists fails alone.
    /// </summary>
    [Alias("CreateMany")] Task<IReadOnlyList<CreateResult>> CreateManyAsync(string type, IReadOnlyList<string> ids, IReadOnlyList<string> fieldsJson, WriteOptions options);
}

/// <summary>Read-model queries of one tenant (key: tenant id); stateless, runs on any silo.</summary>
[Alias("crm.IRecordReaderGrain")]
public interface IRecordReaderGrain : IGrainWithStringKey
{
    [Alias("Query")] Task<Page<CrmRecord>> QueryAsync(string type, RecordQuery query);
    [Alias("Count")] Task<long> CountAsync(string type, RecordQuery query);
    [Alias("FindId")] Task<string?> FindIdAsync(string type, string field, string value);
    [Alias("History")] Task<Page<CrmEvent>> HistoryAsync(string type, string id, string? cursor, int limit);
    [Alias("Timeline")] Task<Page<CrmEvent>> TimelineAsync(string type, string id, string? cursor, int limit);
}

/// <summary>The single writer of a tenant's rules stream (key: tenant id): every version of every rule and its switch.</summary>
[Alias("crm.IRuleBookGrain")]
public interface IRuleBookGrain : ITimerOwnerGrain
{
    /// <summary>The current version of every rule that is not deleted.</summary>
    [Alias("List")] Task<IReadOnlyList<RuleDefinition>> ListAsync();

    /// <summary>Every version of one rule, oldest first (empty when it never existed).</summary>
    [Alias("Versions")] Task<IReadOnlyList<RuleDefinition>> VersionsAsync(string id);

    /// <summary>Checks a draft and saves it as the rule's next version (1 when new); <paramref name="mustBeNew"/> refuses an existing id.</summary>
    [Alias("Save")] Task<RuleDefinition> SaveAsync(RuleDraft draft, bool mustBeNew, WriteOptions options);

    /// <summary>Turns a rule on or off (with the reason shown on it).</summary>
    [Alias("SetEnabled")] Task<RuleDefinition> SetEnabledAsync(string id, bool enabled, string? reason, WriteOptions options);

    /// <summary>Deletes a rule; its versions stay readable for provenance.</summary>
    [Alias("Delete")] Task DeleteAsync(string id, WriteOptions options);
}

/// <summary>Dry-runs and backtests of a tenant's rules (key: tenant id): evaluation only, never an effect.</summary>
[Alias("crm.IRuleLabGrain")]
public interface IRuleLabGrain : IGrainWithStringKey
{
    /// <summary>The tenant's rules and the engine-wide ones, with their health on this node.</summary>
    [Alias("List")] Task<IReadOnlyList<RuleStatus>> ListAsync();

    [Alias("DryRun")] Task<RuleDryRun> DryRunAsync(RuleDryRunRequest request);
    [Alias("Backtest")] Task<RuleBacktest> BacktestAsync(RuleBacktestRequest request);
}

/// <summary>A tenant's suppression list (key: tenant id): addresses a channel must not use again.</summary>
[Alias("crm.ISuppressionListGrain")]
public interface ISuppressionListGrain : IGrainWithStringKey
{
    [Alias("List")] Task<IReadOnlyList<Messaging.Suppression>> ListAsync(string? channel);
    [Alias("Find")] Task<Messaging.Suppression?> FindAsync(string channel, string address);
    [Alias("Add")] Task<Messaging.Suppression> AddAsync(string channel, string address, string reason, WriteOptions options);
    [Alias("Remove")] Task<bool> RemoveAsync(string channel, string address, WriteOptions options);
}

/// <summary>A tenant's dead letters of the log subscriptions (key: tenant id): listed and replayed.</summary>
[Alias("crm.IOutboxDeskGrain")]
public interface IOutboxDeskGrain : IGrainWithStringKey
{
    [Alias("DeadLetters")] Task<IReadOnlyList<OutboxEntry>> DeadLettersAsync(string subscription);
    [Alias("Replay")] Task<bool> ReplayAsync(string subscription, long id);
}

/// <summary>A plugin's data in one tenant (key: <c>{tenant}/{plugin}</c>): JSON values by key, in a stream of their own.</summary>
[Alias("crm.IPluginDataGrain")]
public interface IPluginDataGrain : IGrainWithStringKey
{
    [Alias("List")] Task<IReadOnlyDictionary<string, string>> ListAsync();
    [Alias("Get")] Task<string?> GetAsync(string key);
    [Alias("Set")] Task SetAsync(string key, string valueJson, WriteOptions options);
    [Alias("Remove")] Task<bool> RemoveAsync(string key, WriteOptions options);
}
