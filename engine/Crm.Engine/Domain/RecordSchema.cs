namespace Crm.Engine.Domain;

/// <summary>Kinds of built-in fields; each has one validation and normalisation rule in <see cref="FieldValidator"/>.</summary>
public enum FieldKind
{
    Text,
    LongText,
    Number,
    Integer,
    Bool,
    Date,
    DateTime,
    Choice,
    MultiChoice,
    Email,
    EmailList,
    Url,
    Phone,
    PhoneList,
    Reference,
    Tags,
    Currency,
    Percent,

    /// <summary>A filter in the filter language (docs/filters.md), checked when written.</summary>
    Filter,
}

/// <summary>A built-in field of a record type.</summary>
public sealed record FieldSpec(string Name, FieldKind Kind)
{
    public int MaxLength { get; init; } = 1_000;
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Unique within the tenant and record type (claimed in the append's transaction).</summary>
    public bool Unique { get; init; }

    /// <summary>Part of the full-text index.</summary>
    public bool Searchable { get; init; }
}

/// <summary>The built-in fields and rules of one record type.</summary>
public sealed class RecordSchema
{
    private readonly Dictionary<string, FieldSpec> _fields;

    private RecordSchema(string type, IEnumerable<FieldSpec> fields, IReadOnlyList<string[]>? requireOneOf = null, IReadOnlyList<string>? derived = null)
    {
        Type = type;
        _fields = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        RequireOneOf = requireOneOf ?? [];
        Derived = derived ?? [];
        Searchable = [.. _fields.Values.Where(f => f.Searchable)];
        Unique = [.. _fields.Values.Where(f => f.Unique)];
    }

    /// <summary>The fields whose words are indexed for search, in declaration order.</summary>
    public IReadOnlyList<FieldSpec> Searchable { get; }

    /// <summary>The fields whose values are unique within a tenant, in declaration order.</summary>
    public IReadOnlyList<FieldSpec> Unique { get; }

    /// <summary>The record type.</summary>
    public string Type { get; }

    /// <summary>Groups of fields of which a live record must have at least one set.</summary>
    public IReadOnlyList<string[]> RequireOneOf { get; }

    /// <summary>Fields the engine derives and shows on the record; writes may not set them.</summary>
    public IReadOnlyList<string> Derived { get; }

    /// <summary>Every built-in field.</summary>
    public IEnumerable<FieldSpec> Fields => _fields.Values;

    /// <summary>A built-in field, or null.</summary>
    public FieldSpec? Find(string name) => _fields.GetValueOrDefault(name);

    /// <summary>Lifecycle stages of a contact, in order.</summary>
    public static IReadOnlyList<string> LifecycleStages { get; } = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"];

    /// <summary>Case statuses.</summary>
    public static IReadOnlyList<string> CaseStatuses { get; } = ["new", "open", "pending", "resolved", "closed"];

    /// <summary>Case and task priorities.</summary>
    public static IReadOnlyList<string> Priorities { get; } = ["low", "normal", "high", "urgent"];

    /// <summary>Interaction kinds.</summary>
    public static IReadOnlyList<string> InteractionKinds { get; } = ["email", "call", "meeting", "note", "form", "webVisit", "sms"];

    /// <summary>The record types a segment can select.</summary>
    public static IReadOnlyList<string> SegmentRecordTypes { get; } = [RecordTypes.Contact, RecordTypes.Account, RecordTypes.Deal, RecordTypes.Case];

    /// <summary>Task statuses.</summary>
    public static IReadOnlyList<string> TaskStatuses { get; } = ["open", "inProgress", "done", "cancelled"];

    private static FieldSpec Name(string n) => new(n, FieldKind.Text) { MaxLength = 200, Searchable = true };
    private static FieldSpec Text(string n, int max = 1_000) => new(n, FieldKind.Text) { MaxLength = max };
    private static FieldSpec Ref(string n) => new(n, FieldKind.Reference);
    private static FieldSpec Choice(string n, IReadOnlyList<string> choices) => new(n, FieldKind.Choice) { Choices = choices };

    /// <summary>The time of the latest interaction linked to the record, kept by the engine (and importable).</summary>
    private static readonly FieldSpec LastActivity = new("lastActivityAt", FieldKind.DateTime);

    /// <summary>The member a round-robin assignment picked last; the next one goes to the member after them.</summary>
    private static readonly FieldSpec LastAssigned = new("lastAssignedId", FieldKind.Reference);

    private static readonly Dictionary<string, RecordSchema> Schemas = new[]
    {
        new RecordSchema(RecordTypes.Contact,
        [
            Name("firstName"), Name("lastName"),
            new("email", FieldKind.Email) { Searchable = true, Unique = true },
            new("emails", FieldKind.EmailList) { Searchable = true, Unique = true },
            new("phone", FieldKind.Phone) { Searchable = true },
            new("phones", FieldKind.PhoneList) { Searchable = true },
            Name("company"), Text("title", 200),
            Choice("lifecycleStage", LifecycleStages),
            Ref("ownerId"), Ref("accountId"),
            new("tags", FieldKind.Tags) { Searchable = true },
            Text("source", 200),
            new("externalId", FieldKind.Text) { MaxLength = 200, Unique = true },
            LastActivity,
        ], [["firstName", "lastName", "email", "phone"]], ["consent", "score", "scoreBreakdown", "segments", "mergedInto", "mergedFrom"]),
        new RecordSchema(RecordTypes.Account,
        [
            Name("name"), new("domain", FieldKind.Text) { MaxLength = 253, Searchable = true },
            Text("industry", 200), new("size", FieldKind.Integer), Ref("parentId"), Ref("ownerId"),
            new("phone", FieldKind.Phone) { Searchable = true }, new("website", FieldKind.Url),
            new("tags", FieldKind.Tags) { Searchable = true },
            new("externalId", FieldKind.Text) { MaxLength = 200, Unique = true },
            LastActivity,
        ], [["name"]], ["segments"]),
        new RecordSchema(RecordTypes.Deal,
        [
            Name("name"), Text("pipeline", 64), Text("stage", 64),
            new("amount", FieldKind.Number), new("currency", FieldKind.Currency),
            new("closeDate", FieldKind.Date), new("probability", FieldKind.Percent),
            Ref("ownerId"), Ref("accountId"), new("tags", FieldKind.Tags) { Searchable = true },
            Text("source", 200),
            new("externalId", FieldKind.Text) { MaxLength = 200, Unique = true },
            LastActivity,
        ], [["name"]], ["stageEnteredAt", "stageHistory", "approval", "segments"]),
        new RecordSchema(RecordTypes.Case,
        [
            new("subject", FieldKind.Text) { MaxLength = 500, Searchable = true },
            new("description", FieldKind.LongText) { MaxLength = 100_000 },
            Choice("status", CaseStatuses), Choice("priority", Priorities),
            Ref("queueId"), Ref("assigneeId"), Ref("contactId"), Ref("accountId"),
            new("tags", FieldKind.Tags) { Searchable = true },
            new("externalId", FieldKind.Text) { MaxLength = 200, Unique = true },
            LastActivity,
        ], [["subject"]], ["firstResponseAt", "firstResponseMinutes", "resolvedAt", "resolutionMinutes", "sla", "segments"]),
        new RecordSchema(RecordTypes.Interaction,
        [
            Choice("kind", InteractionKinds), Choice("direction", ["inbound", "outbound"]),
            new("subject", FieldKind.Text) { MaxLength = 500, Searchable = true },
            new("body", FieldKind.LongText) { MaxLength = 100_000 },
            new("occurredAt", FieldKind.DateTime), new("durationMinutes", FieldKind.Integer),
            Ref("ownerId"), Text("channel", 64), Text("messageId", 500),
        ], [["kind"]]),
        new RecordSchema(RecordTypes.Task,
        [
            new("title", FieldKind.Text) { MaxLength = 500, Searchable = true },
            new("notes", FieldKind.LongText) { MaxLength = 100_000 },
            new("due", FieldKind.DateTime), Ref("assigneeId"),
            Choice("status", TaskStatuses), Choice("priority", Priorities),
        ], [["title"]]),
        new RecordSchema(RecordTypes.User,
        [
            Name("name"), new("email", FieldKind.Email) { Searchable = true, Unique = true },
            Choice("role", ["admin", "manager", "agent", "readonly"]), new("active", FieldKind.Bool),
            new("teamIds", FieldKind.Tags),
        ], [["name"], ["email"]]),
        new RecordSchema(RecordTypes.Team, [Name("name"), Text("description"), new("memberIds", FieldKind.Tags), Ref("managerId"), LastAssigned], [["name"]]),
        new RecordSchema(RecordTypes.Queue, [Name("name"), Text("description"), new("memberIds", FieldKind.Tags), Ref("teamId"), LastAssigned], [["name"]]),
        new RecordSchema(RecordTypes.Segment,
        [
            Name("name"), Text("description", 2_000), Choice("recordType", SegmentRecordTypes),
            new("filter", FieldKind.Filter) { MaxLength = 4_000 }, new("tags", FieldKind.Tags) { Searchable = true },
        ], [["name"], ["recordType"], ["filter"]]),
        new RecordSchema(RecordTypes.Campaign,
        [
            Name("name"), Text("description", 2_000), Ref("segmentId"), Text("channel", 32), Text("purpose", 64),
            Text("subject", 2_000), new("body", FieldKind.LongText) { MaxLength = 256 * 1024 }, new("html", FieldKind.LongText) { MaxLength = 256 * 1024 },
            new("tags", FieldKind.Tags) { Searchable = true },
        ], [["name"], ["segmentId"], ["channel"], ["purpose"], ["body"]], CampaignProgress.Fields),
    }.ToDictionary(s => s.Type);

    /// <summary>The schema of a built-in record type.</summary>
    public static RecordSchema For(string type) =>
        Schemas.TryGetValue(type, out var schema) ? schema : throw new ArgumentException($"Unknown record type '{type}'.", nameof(type));
}
