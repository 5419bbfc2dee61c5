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
    public const string ConsentRecorded = "contact.consentRecorded";
    public const string DealStageChanged = "deal.stageChanged";
    public const string CaseStatusChanged = "case.statusChanged";
    public const string CaseResponded = "case.responded";

    /// <summary>A durable timer was set (or moved) on the record.</summary>
    public const string TimerScheduled = "timer.scheduled";

    /// <summary>A pending timer was cancelled.</summary>
    public const string TimerCancelled = "timer.cancelled";

    /// <summary>A timer came due; written once per scheduled due time, keyed by the timer id.</summary>
    public const string TimerFired = "timer.fired";

    /// <summary>Timer events belong to the record's stream but do not change the record itself.</summary>
    public static bool IsTimerEvent(string type) => type is TimerScheduled or TimerCancelled or TimerFired;

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

    /// <summary>The schema version new events of a type are written with (1 unless listed).</summary>
    public static int CurrentSchemaVersion(string type) => type switch
    {
        ConsentRecorded => 2,
        _ => 1,
    };
}
