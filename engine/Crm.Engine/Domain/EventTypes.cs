namespace Crm.Engine.Domain;

/// <summary>Stable event type names and their current schema versions.</summary>
public static class EventTypes
{
    public const string RecordCreated = "record.created";
    public const string RecordUpdated = "record.updated";
    public const string RecordDeleted = "record.deleted";
    public const string RecordRestored = "record.restored";
    public const string RecordLinked = "record.linked";
    public const string RecordUnlinked = "record.unlinked";

    /// <summary>The record came to match a segment's filter (<c>segmentId</c>); rules hear it as <c>{type}.segmentEntered</c>.</summary>
    public const string SegmentEntered = "record.segmentEntered";

    /// <summary>The record no longer matches a segment's filter, or the segment is gone (<c>segmentId</c>).</summary>
    public const string SegmentLeft = "record.segmentLeft";

    /// <summary>A campaign started sending to its segment's contacts.</summary>
    public const string CampaignLaunched = "campaign.launched";

    /// <summary>A page of a campaign's recipients was queued (<c>queued</c>, and <c>cursor</c> where the next page starts).</summary>
    public const string CampaignProgressed = "campaign.progressed";

    /// <summary>Every recipient of a campaign was queued.</summary>
    public const string CampaignCompleted = "campaign.completed";

    /// <summary>A campaign was stopped; recipients not yet queued get nothing.</summary>
    public const string CampaignCancelled = "campaign.cancelled";

    /// <summary>Outcomes of a campaign's messages: <c>sent</c>, <c>failed</c> and <c>blocked</c> by code, added to the counts.</summary>
    public const string CampaignTallied = "campaign.tallied";

    /// <summary>Membership bookkeeping, which is not a change of the record itself (<c>updatedAt</c> stays).</summary>
    public static bool IsSegmentEvent(string type) => type is SegmentEntered or SegmentLeft;
    public const string ConsentRecorded = "contact.consentRecorded";

    /// <summary>The record was merged into another (<c>{ survivorId, mergeId }</c>): a tombstone whose reads redirect there.</summary>
    public const string RecordMergedInto = "record.mergedInto";

    /// <summary>Another record was merged into this one: <c>{ mergedId, filled, conflicts, consentTaken }</c>.</summary>
    public const string RecordMerged = "record.merged";

    /// <summary>A merge began (merge stream <c>merge/{type}/{mergedId}</c>): <c>{ type, survivorId, mergedId }</c>.</summary>
    public const string MergeStarted = "merge.started";

    /// <summary>A merge finished: <c>{ survivorId, mergedId, moved, filled, conflicts, consentTaken }</c>.</summary>
    public const string MergeCompleted = "merge.completed";
    public const string DealStageChanged = "deal.stageChanged";
    public const string CaseStatusChanged = "case.statusChanged";
    public const string CaseResponded = "case.responded";

    /// <summary>An SLA target was applied to a case (created, queue or priority changed, reopened): its clocks and due times.</summary>
    public const string CaseSlaApplied = "case.slaApplied";

    /// <summary>No SLA target applies to the case any more (its queue or priority changed).</summary>
    public const string CaseSlaRemoved = "case.slaRemoved";

    /// <summary>An SLA clock of a case reached its warning time.</summary>
    public const string CaseSlaWarning = "case.slaWarning";

    /// <summary>An SLA clock of a case passed its due time unmet.</summary>
    public const string CaseSlaBreached = "case.slaBreached";

    /// <summary>A deal's move into a stage waits for approval.</summary>
    public const string DealApprovalRequested = "deal.approvalRequested";

    /// <summary>A pending stage approval was granted; the stage change follows in the same append.</summary>
    public const string DealApprovalGranted = "deal.approvalGranted";

    /// <summary>A pending stage approval was rejected; the deal stays in its stage.</summary>
    public const string DealApprovalRejected = "deal.approvalRejected";

    /// <summary>A pending stage approval was dropped because the deal was moved to another stage.</summary>
    public const string DealApprovalCancelled = "deal.approvalCancelled";

    /// <summary>A durable timer was set (or moved) on the record.</summary>
    public const string TimerScheduled = "timer.scheduled";

    /// <summary>A pending timer was cancelled.</summary>
    public const string TimerCancelled = "timer.cancelled";

    /// <summary>A timer came due; written once per scheduled due time, keyed by the timer id.</summary>
    public const string TimerFired = "timer.fired";

    /// <summary>Timer events belong to the record's stream but do not change the record itself.</summary>
    public static bool IsTimerEvent(string type) => type is TimerScheduled or TimerCancelled or TimerFired;

    /// <summary>A message to the contact was queued (with its filled-in text); its outcome follows.</summary>
    public const string MessageRequested = "contact.messageRequested";

    /// <summary>A queued message went out through its channel's connector, under the consent named.</summary>
    public const string MessageSent = "contact.messageSent";

    /// <summary>A queued message was not sent: no consent, a suppressed address, no address.</summary>
    public const string MessageBlocked = "contact.messageBlocked";

    /// <summary>A queued message could not be delivered (permanently, or after its retries).</summary>
    public const string MessageFailed = "contact.messageFailed";

    /// <summary>An address went on a tenant's suppression list (suppressions stream).</summary>
    public const string SuppressionAdded = "suppression.added";
    public const string SuppressionRemoved = "suppression.removed";

    /// <summary>A plugin stored or removed a value of its own data (stream <c>plugin-data/{plugin}</c>).</summary>
    public const string PluginDataSet = "plugin.dataSet";
    public const string PluginDataRemoved = "plugin.dataRemoved";

    /// <summary>A contact's lead score or its breakdown changed.</summary>
    public const string ScoreChanged = "contact.scoreChanged";

    /// <summary>A new version of a rule was saved (rules stream).</summary>
    public const string RuleSaved = "rule.saved";
    public const string RuleEnabled = "rule.enabled";
    public const string RuleDisabled = "rule.disabled";
    public const string RuleDeleted = "rule.deleted";

    /// <summary>A schedule rule's occurrence came (rules stream); the react stage evaluates the rule on it.</summary>
    public const string RuleScheduleFired = "rule.scheduleFired";

    public const string CustomFieldDefined = "settings.customFieldDefined";
    public const string CustomFieldRemoved = "settings.customFieldRemoved";
    public const string PipelineDefined = "settings.pipelineDefined";
    public const string GeneralSettingsChanged = "settings.generalChanged";
    public const string SlaTargetDefined = "settings.slaTargetDefined";
    public const string SlaTargetRemoved = "settings.slaTargetRemoved";
    public const string ExchangeRateSet = "settings.exchangeRateSet";
    public const string ExchangeRateRemoved = "settings.exchangeRateRemoved";

    /// <summary>The schema version new events of a type are written with (1 unless listed).</summary>
    public static int CurrentSchemaVersion(string type) => type switch
    {
        ConsentRecorded => 2,
        _ => 1,
    };
}
