namespace Crm.Engine;

/// <summary>Types a custom field can have.</summary>
public enum CustomFieldType
{
    Text = 0,
    Number = 1,
    Date = 2,
    Bool = 3,
    Choice = 4,
    MultiChoice = 5,
    Email = 6,
    Url = 7,
}

/// <summary>A tenant-defined field on a record type, validated like a built-in one.</summary>
[GenerateSerializer, Immutable, Alias("crm.CustomFieldDefinition")]
public sealed record CustomFieldDefinition
{
    /// <summary>The record type it belongs to.</summary>
    [Id(0)] public required string RecordType { get; init; }

    /// <summary>camelCase name, unique per record type: letters, digits, underscore; starts with a letter.</summary>
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public string? Label { get; init; }
    [Id(3)] public required CustomFieldType Type { get; init; }
    [Id(4)] public bool Required { get; init; }

    /// <summary>Allowed values for choice and multi-choice fields.</summary>
    [Id(5)] public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Maximum text length (text fields); default 1,000.</summary>
    [Id(6)] public int? MaxLength { get; init; }
}

/// <summary>A stage of a pipeline.</summary>
[GenerateSerializer, Immutable, Alias("crm.PipelineStage")]
public sealed record PipelineStage
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Name { get; init; }

    /// <summary>Default win probability in percent for deals in this stage.</summary>
    [Id(2)] public decimal Probability { get; init; }
    [Id(3)] public bool IsWon { get; init; }
    [Id(4)] public bool IsLost { get; init; }

    /// <summary>A deal moved into this stage waits for a manager's approval before it enters it.</summary>
    [Id(5)] public bool RequiresApproval { get; init; }

    /// <summary>With <see cref="RequiresApproval"/>: approval is needed only for deals of at least this amount (null: always).</summary>
    [Id(6)] public decimal? ApprovalMinAmount { get; init; }

    /// <summary>Whether a deal of <paramref name="amount"/> (none counts as 0) needs approval to enter this stage.</summary>
    public bool NeedsApprovalFor(decimal? amount) =>
        RequiresApproval && (ApprovalMinAmount is not { } min || (amount ?? 0) >= min);
}

/// <summary>A sales pipeline: ordered stages.</summary>
[GenerateSerializer, Immutable, Alias("crm.Pipeline")]
public sealed record Pipeline
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public required IReadOnlyList<PipelineStage> Stages { get; init; }
}

/// <summary>Opening hours of one day of the week (local time in the tenant's time zone).</summary>
[GenerateSerializer, Immutable, Alias("crm.BusinessDay")]
public sealed record BusinessDay(
    [property: Id(0)] DayOfWeek Day,
    [property: Id(1)] TimeOnly Opens,
    [property: Id(2)] TimeOnly Closes);

/// <summary>
/// Service-level targets for cases of one queue (<c>*</c>: cases whose queue has no target of its own) and priority
/// (null: any), in business minutes of the tenant's calendar. The most specific target applies: queue and priority,
/// then queue, then <c>*</c> and priority, then <c>*</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("crm.SlaTarget")]
public sealed record SlaTarget
{
    /// <summary>The queue id the target is for, or <see cref="AnyQueue"/>.</summary>
    [Id(0)] public required string QueueId { get; init; }

    /// <summary>The case priority it is for (low, normal, high, urgent), or null for any.</summary>
    [Id(1)] public string? Priority { get; init; }

    /// <summary>Business minutes from creation to the first response; null: no first-response clock.</summary>
    [Id(2)] public int? FirstResponseMinutes { get; init; }

    /// <summary>Business minutes from creation (or reopening) to resolution; null: no resolution clock.</summary>
    [Id(3)] public int? ResolutionMinutes { get; init; }

    /// <summary>Share of a clock's business time after which it warns, in percent (1–99).</summary>
    [Id(4)] public int WarningPercent { get; init; } = 80;

    /// <summary>The queue id of the default target.</summary>
    public const string AnyQueue = "*";
}

/// <summary>One unit of <see cref="Currency"/> is worth <see cref="Rate"/> units of the tenant's base currency from <see cref="From"/> on.</summary>
[GenerateSerializer, Immutable, Alias("crm.ExchangeRate")]
public sealed record ExchangeRate
{
    /// <summary>ISO 4217 code of the currency converted from.</summary>
    [Id(0)] public required string Currency { get; init; }

    /// <summary>The first day (in the tenant's calendar) the rate applies to; it applies until a later rate of the currency.</summary>
    [Id(1)] public required DateOnly From { get; init; }

    /// <summary>Units of the base currency per unit of <see cref="Currency"/>; positive.</summary>
    [Id(2)] public required decimal Rate { get; init; }
}

/// <summary>A purpose contacts can be asked about, with its lawful basis.</summary>
[GenerateSerializer, Immutable, Alias("crm.ConsentPurpose")]
public sealed record ConsentPurpose(
    [property: Id(0)] string Name,
    [property: Id(1)] LawfulBasis Basis);

/// <summary>A tenant's settings as of some time: the schema and calendars records are validated against.</summary>
[GenerateSerializer, Immutable, Alias("crm.TenantSettings")]
public sealed record TenantSettings
{
    /// <summary>IANA time zone id.</summary>
    [Id(0)] public string TimeZone { get; init; } = "UTC";

    /// <summary>ISO 4217 code of the base currency.</summary>
    [Id(1)] public string BaseCurrency { get; init; } = "USD";

    /// <summary>ISO 3166 region used to read phone numbers written without a country code.</summary>
    [Id(2)] public string DefaultPhoneRegion { get; init; } = "US";

    [Id(3)] public IReadOnlyList<CustomFieldDefinition> CustomFields { get; init; } = [];
    [Id(4)] public IReadOnlyList<Pipeline> Pipelines { get; init; } = [DefaultPipeline];
    [Id(5)] public IReadOnlyList<BusinessDay> BusinessHours { get; init; } = DefaultBusinessHours;
    [Id(6)] public IReadOnlyList<ConsentPurpose> ConsentPurposes { get; init; } = DefaultPurposes;

    /// <summary>The settings stream version these settings were folded from.</summary>
    [Id(7)] public long Version { get; init; }

    /// <summary>Days (in the tenant's time zone) with no business hours.</summary>
    [Id(8)] public IReadOnlyList<DateOnly> Holidays { get; init; } = [];

    /// <summary>Case service-level targets per queue and priority.</summary>
    [Id(9)] public IReadOnlyList<SlaTarget> SlaTargets { get; init; } = [];

    /// <summary>
    /// Fields a record must have while it is in a lifecycle stage, per record type and stage, e.g.
    /// <c>{ "contact": { "customer": ["email", "accountId"] } }</c> (contact: lifecycleStage, deal: stage, case and task: status).
    /// </summary>
    [Id(10)] public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>> RequiredFields { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>>();

    /// <summary>Dated exchange rates into <see cref="BaseCurrency"/>, ordered by currency and date.</summary>
    [Id(11)] public IReadOnlyList<ExchangeRate> ExchangeRates { get; init; } = [];

    /// <summary>The month (1–12) the fiscal year starts in; a fiscal year is named for the calendar year it ends in.</summary>
    [Id(12)] public int FiscalYearStartMonth { get; init; } = 1;

    /// <summary>The pipeline every tenant starts with.</summary>
    public static Pipeline DefaultPipeline { get; } = new()
    {
        Id = "sales",
        Name = "Sales",
        Stages =
        [
            new() { Id = "prospecting", Name = "Prospecting", Probability = 10 },
            new() { Id = "qualification", Name = "Qualification", Probability = 20 },
            new() { Id = "proposal", Name = "Proposal", Probability = 50 },
            new() { Id = "negotiation", Name = "Negotiation", Probability = 75 },
            new() { Id = "won", Name = "Closed won", Probability = 100, IsWon = true },
            new() { Id = "lost", Name = "Closed lost", Probability = 0, IsLost = true },
        ],
    };

    /// <summary>Monday to Friday, 09:00 to 17:00.</summary>
    public static IReadOnlyList<BusinessDay> DefaultBusinessHours { get; } =
        [.. new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .Select(d => new BusinessDay(d, new TimeOnly(9, 0), new TimeOnly(17, 0)))];

    /// <summary>marketing and newsletter need consent; sales rests on legitimate interest; service on contract.</summary>
    public static IReadOnlyList<ConsentPurpose> DefaultPurposes { get; } =
    [
        new("marketing", LawfulBasis.Consent),
        new("newsletter", LawfulBasis.Consent),
        new("sales", LawfulBasis.LegitimateInterest),
        new("service", LawfulBasis.Contract),
    ];

    /// <summary>The custom fields of one record type.</summary>
    public IEnumerable<CustomFieldDefinition> CustomFieldsOf(string recordType) =>
        CustomFields.Where(f => f.RecordType == recordType);

    /// <summary>A pipeline by id, or null.</summary>
    public Pipeline? FindPipeline(string id) => Pipelines.FirstOrDefault(p => p.Id == id);

    /// <summary>
    /// What one unit of <paramref name="currency"/> is worth in the base currency on <paramref name="date"/>: 1 for
    /// the base currency, else the rate set on the latest day not after <paramref name="date"/>, or null when none was.
    /// </summary>
    public decimal? RateOn(string currency, DateOnly date)
    {
        if (string.Equals(currency, BaseCurrency, StringComparison.Ordinal)) return 1m;
        ExchangeRate? found = null;
        foreach (var rate in ExchangeRates)
        {
            if (rate.Currency == currency && rate.From <= date && (found is null || rate.From > found.From)) found = rate;
        }

        return found?.Rate;
    }

    /// <summary>The SLA target for a case of this queue and priority: the most specific one, or null.</summary>
    public SlaTarget? FindSlaTarget(string? queueId, string? priority)
    {
        SlaTarget? Find(string queue, string? p) => SlaTargets.FirstOrDefault(t => t.QueueId == queue && t.Priority == p);
        if (queueId is not null)
        {
            if (priority is not null && Find(queueId, priority) is { } exact) return exact;
            if (Find(queueId, null) is { } queue) return queue;
        }

        if (priority is not null && Find(SlaTarget.AnyQueue, priority) is { } byPriority) return byPriority;
        return Find(SlaTarget.AnyQueue, null);
    }
}

/// <summary>A change to general settings; null members stay as they are.</summary>
[GenerateSerializer, Immutable, Alias("crm.GeneralSettingsChange")]
public sealed record GeneralSettingsChange
{
    [Id(0)] public string? TimeZone { get; init; }
    [Id(1)] public string? BaseCurrency { get; init; }
    [Id(2)] public string? DefaultPhoneRegion { get; init; }
    [Id(3)] public IReadOnlyList<BusinessDay>? BusinessHours { get; init; }
    [Id(4)] public IReadOnlyList<ConsentPurpose>? ConsentPurposes { get; init; }

    /// <summary>Replaces the list of holidays (dates in the tenant's time zone).</summary>
    [Id(5)] public IReadOnlyList<DateOnly>? Holidays { get; init; }

    /// <summary>Replaces the required fields per record type and lifecycle stage (see <see cref="TenantSettings.RequiredFields"/>).</summary>
    [Id(6)] public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>>? RequiredFields { get; init; }

    /// <summary>The month (1–12) the fiscal year starts in.</summary>
    [Id(7)] public int? FiscalYearStartMonth { get; init; }
}
