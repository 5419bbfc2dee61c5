namespace Crm.Engine.Reports;

/// <summary>
/// A tenant's reports, computed from the <c>reports</c> projection (which follows the log) and the tenant's settings:
/// pipelines, base currency with dated rates, fiscal year and time zone. Amounts are in the base currency.
/// </summary>
public interface ICrmReports
{
    /// <summary>Deals by stage of one pipeline: count, amount and probability-weighted amount.</summary>
    Task<PipelineReport> PipelineAsync(ReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>Open and won deals by expected close month, in fiscal months and quarters, weighted by probability.</summary>
    Task<ForecastReport> ForecastAsync(ReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>Deals won and lost in a period, the win rate and the average sales cycle.</summary>
    Task<WinRateReport> WinRateAsync(ReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>Contacts by lead source through the lifecycle stages, and deals won by source.</summary>
    Task<FunnelReport> FunnelAsync(ReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>Cases by queue: volume, first-response and resolution times, SLA compliance.</summary>
    Task<CaseReport> CasesAsync(ReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>Interactions, tasks done and deals won per owner.</summary>
    Task<OwnerActivityReport> OwnerActivityAsync(ReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>How far the reports projection has followed the log, and where the log's head is.</summary>
    Task<ReportStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops the reports projection (for every tenant) and builds it again from the start of the log.</summary>
    Task RebuildAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// What a report covers. <see cref="From"/> and <see cref="To"/> are days in the tenant's time zone, both included
/// (null: open-ended); the forecast reads them as expected close dates, the other reports as the day things happened.
/// </summary>
[GenerateSerializer, Immutable, Alias("crm.ReportQuery")]
public sealed record ReportQuery
{
    [Id(0)] public DateOnly? From { get; init; }
    [Id(1)] public DateOnly? To { get; init; }

    /// <summary>The pipeline (pipeline, forecast and win rate); the tenant's first pipeline when null.</summary>
    [Id(2)] public string? Pipeline { get; init; }

    /// <summary>Pipeline report: also list the won and lost stages (their deals are then in the totals).</summary>
    [Id(3)] public bool IncludeClosed { get; init; }
}

/// <summary>Where the reports projection stands.</summary>
[GenerateSerializer, Immutable, Alias("crm.ReportStatus")]
public sealed record ReportStatus(
    [property: Id(0)] long Position,
    [property: Id(1)] long Head);

/// <summary>Deals whose amount could not be converted: no rate of <see cref="Currency"/> on or before <see cref="Date"/>.</summary>
[GenerateSerializer, Immutable, Alias("crm.MissingRate")]
public sealed record MissingRate(
    [property: Id(0)] string Currency,
    [property: Id(1)] DateOnly Date,
    [property: Id(2)] int Deals);

/// <summary>One stage of the pipeline report.</summary>
[GenerateSerializer, Immutable, Alias("crm.PipelineStageRow")]
public sealed record PipelineStageRow
{
    [Id(0)] public required string Stage { get; init; }
    [Id(1)] public required string Name { get; init; }

    /// <summary>The stage's default probability in percent.</summary>
    [Id(2)] public decimal Probability { get; init; }
    [Id(3)] public int Count { get; init; }
    [Id(4)] public decimal Amount { get; init; }
    [Id(5)] public decimal Weighted { get; init; }
}

/// <summary>Deals by stage of one pipeline, in the base currency.</summary>
[GenerateSerializer, Immutable, Alias("crm.PipelineReport")]
public sealed record PipelineReport
{
    [Id(0)] public required string Pipeline { get; init; }
    [Id(1)] public required string Currency { get; init; }
    [Id(2)] public long Position { get; init; }
    [Id(3)] public IReadOnlyList<PipelineStageRow> Stages { get; init; } = [];
    [Id(4)] public int Count { get; init; }
    [Id(5)] public decimal Amount { get; init; }
    [Id(6)] public decimal Weighted { get; init; }
    [Id(7)] public IReadOnlyList<MissingRate> MissingRates { get; init; } = [];
}

/// <summary>One fiscal month or quarter of the forecast.</summary>
[GenerateSerializer, Immutable, Alias("crm.ForecastBucket")]
public sealed record ForecastBucket
{
    /// <summary><c>2026-04</c> for a month, <c>FY2026-Q1</c> for a quarter.</summary>
    [Id(0)] public required string Period { get; init; }
    [Id(1)] public required string FiscalYear { get; init; }
    [Id(2)] public required string FiscalQuarter { get; init; }

    /// <summary>Open deals expected to close in the period.</summary>
    [Id(3)] public int Count { get; init; }
    [Id(4)] public decimal Amount { get; init; }
    [Id(5)] public decimal Weighted { get; init; }

    /// <summary>Won deals with a close date in the period.</summary>
    [Id(6)] public int WonCount { get; init; }
    [Id(7)] public decimal Won { get; init; }
}

/// <summary>The forecast by expected close date, in the base currency.</summary>
[GenerateSerializer, Immutable, Alias("crm.ForecastReport")]
public sealed record ForecastReport
{
    [Id(0)] public required string Pipeline { get; init; }
    [Id(1)] public required string Currency { get; init; }
    [Id(2)] public long Position { get; init; }
    [Id(3)] public int FiscalYearStartMonth { get; init; }
    [Id(4)] public IReadOnlyList<ForecastBucket> Months { get; init; } = [];
    [Id(5)] public IReadOnlyList<ForecastBucket> Quarters { get; init; } = [];
    [Id(6)] public required ForecastBucket Total { get; init; }

    /// <summary>Open deals left out because they have no close date.</summary>
    [Id(7)] public int WithoutCloseDate { get; init; }
    [Id(8)] public IReadOnlyList<MissingRate> MissingRates { get; init; } = [];
}

/// <summary>Deals closed in a period.</summary>
[GenerateSerializer, Immutable, Alias("crm.WinRateReport")]
public sealed record WinRateReport
{
    /// <summary>The pipeline asked for, or null for every pipeline.</summary>
    [Id(0)] public string? Pipeline { get; init; }
    [Id(1)] public required string Currency { get; init; }
    [Id(2)] public long Position { get; init; }
    [Id(3)] public int Won { get; init; }
    [Id(4)] public int Lost { get; init; }

    /// <summary>Won ÷ (won + lost) in percent, or null when none closed.</summary>
    [Id(5)] public decimal? WinRate { get; init; }
    [Id(6)] public decimal WonAmount { get; init; }

    /// <summary>Average days from creation to won or lost, over every closed deal.</summary>
    [Id(7)] public decimal? AverageCycleDays { get; init; }

    /// <summary>Average days from creation to won, over the won deals.</summary>
    [Id(8)] public decimal? AverageWonCycleDays { get; init; }
    [Id(9)] public IReadOnlyList<MissingRate> MissingRates { get; init; } = [];
}

/// <summary>One lead source of the funnel.</summary>
[GenerateSerializer, Immutable, Alias("crm.FunnelRow")]
public sealed record FunnelRow
{
    /// <summary>The contacts' and deals' <c>source</c>; <c>(none)</c> when it is empty.</summary>
    [Id(0)] public required string Source { get; init; }
    [Id(1)] public int Contacts { get; init; }

    /// <summary>Contacts that reached the stage (or a later one).</summary>
    [Id(2)] public int Mql { get; init; }
    [Id(3)] public int Sql { get; init; }
    [Id(4)] public int Customers { get; init; }

    /// <summary>Customers ÷ contacts in percent, or null without contacts.</summary>
    [Id(5)] public decimal? CustomerRate { get; init; }
    [Id(6)] public int DealsWon { get; init; }
    [Id(7)] public decimal WonAmount { get; init; }
}

/// <summary>The lead-source funnel: contacts created in the period, deals won in it.</summary>
[GenerateSerializer, Immutable, Alias("crm.FunnelReport")]
public sealed record FunnelReport
{
    [Id(0)] public required string Currency { get; init; }
    [Id(1)] public long Position { get; init; }
    [Id(2)] public IReadOnlyList<FunnelRow> Sources { get; init; } = [];
    [Id(3)] public required FunnelRow Total { get; init; }
    [Id(4)] public IReadOnlyList<MissingRate> MissingRates { get; init; } = [];
}

/// <summary>Cases of one queue created in the period. Times are in minutes (wall-clock, from creation).</summary>
[GenerateSerializer, Immutable, Alias("crm.CaseQueueRow")]
public sealed record CaseQueueRow
{
    /// <summary>The queue id; <c>(none)</c> for cases without a queue.</summary>
    [Id(0)] public required string Queue { get; init; }
    [Id(1)] public int Created { get; init; }
    [Id(2)] public int Responded { get; init; }
    [Id(3)] public int Resolved { get; init; }
    [Id(4)] public decimal? AverageFirstResponseMinutes { get; init; }
    [Id(5)] public decimal? MedianFirstResponseMinutes { get; init; }
    [Id(6)] public decimal? AverageResolutionMinutes { get; init; }
    [Id(7)] public decimal? MedianResolutionMinutes { get; init; }

    /// <summary>Cases under an SLA resolved without a breach.</summary>
    [Id(8)] public int SlaMet { get; init; }

    /// <summary>Cases under an SLA with a breached clock.</summary>
    [Id(9)] public int SlaBreached { get; init; }

    /// <summary>Met ÷ (met + breached) in percent, or null when none is decided.</summary>
    [Id(10)] public decimal? SlaCompliance { get; init; }
}

/// <summary>Case volume, response and resolution times, SLA compliance by queue.</summary>
[GenerateSerializer, Immutable, Alias("crm.CaseReport")]
public sealed record CaseReport
{
    [Id(0)] public long Position { get; init; }
    [Id(1)] public IReadOnlyList<CaseQueueRow> Queues { get; init; } = [];
    [Id(2)] public required CaseQueueRow Total { get; init; }
}

/// <summary>What one owner did in the period.</summary>
[GenerateSerializer, Immutable, Alias("crm.OwnerActivityRow")]
public sealed record OwnerActivityRow
{
    /// <summary>The user id (<c>ownerId</c> of interactions and deals, <c>assigneeId</c> of tasks).</summary>
    [Id(0)] public required string Owner { get; init; }
    [Id(1)] public int Interactions { get; init; }
    [Id(2)] public int TasksDone { get; init; }
    [Id(3)] public int DealsWon { get; init; }
    [Id(4)] public decimal WonAmount { get; init; }
}

/// <summary>Activity per owner in a period.</summary>
[GenerateSerializer, Immutable, Alias("crm.OwnerActivityReport")]
public sealed record OwnerActivityReport
{
    [Id(0)] public required string Currency { get; init; }
    [Id(1)] public long Position { get; init; }
    [Id(2)] public IReadOnlyList<OwnerActivityRow> Owners { get; init; } = [];
    [Id(3)] public IReadOnlyList<MissingRate> MissingRates { get; init; } = [];
}
