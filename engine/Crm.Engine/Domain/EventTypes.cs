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
