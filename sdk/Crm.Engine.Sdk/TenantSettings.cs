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
}
