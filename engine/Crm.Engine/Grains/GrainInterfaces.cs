using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>A record grain keyed <c>{tenant}/{id}</c>; it owns the record's stream and is the only writer of it.</summary>
[Alias("crm.IRecordGrain")]
public interface IRecordGrain : IGrainWithStringKey
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
    /// Fires a pending timer under the scheduler's lease: appends <c>timer.fired</c> and removes the timer in one
    /// append. False when the timer is no longer pending at that due time (fired, cancelled or moved).
    /// </summary>
    [Alias("FireTimer")] Task<bool> FireTimerAsync(DurableTimer timer, LeaseFence fence);
}

[Alias("crm.IContactGrain")]
public interface IContactGrain : IRecordGrain
{
    [Alias("SetConsent")] Task<ConsentEntry> SetConsentAsync(ConsentChange change, WriteOptions options);
    [Alias("GetConsent")] Task<IReadOnlyList<ConsentEntry>> GetConsentAsync(DateTimeOffset? asOf);
    [Alias("MayContact")] Task<ConsentDecision> MayContactAsync(string address, string purpose, string channel, DateTimeOffset? at);
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

/// <summary>The settings of one tenant (key: tenant id); a stream like any record.</summary>
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
}

/// <summary>Read-model queries of one tenant (key: tenant id); stateless, runs on any silo.</summary>
[Alias("crm.IRecordReaderGrain")]
public interface IRecordReaderGrain : IGrainWithStringKey
{
    [Alias("Query")] Task<Page<CrmRecord>> QueryAsync(string type, RecordQuery query);
    [Alias("FindId")] Task<string?> FindIdAsync(string type, string field, string value);
    [Alias("History")] Task<Page<CrmEvent>> HistoryAsync(string type, string id, string? cursor, int limit);
    [Alias("Timeline")] Task<Page<CrmEvent>> TimelineAsync(string type, string id, string? cursor, int limit);
}
