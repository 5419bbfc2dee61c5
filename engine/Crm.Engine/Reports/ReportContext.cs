namespace Crm.Engine.Reports;

/// <summary>
/// What every report needs besides the facts: the tenant's settings (stages, base currency and dated rates, fiscal
/// year, time zone), the period, and the conversions that could not be made.
/// </summary>
internal sealed class ReportContext
{
    private readonly TimeZoneInfo _zone;
    private readonly Dictionary<(string Currency, DateOnly Date), int> _missing = [];

    public ReportContext(TenantSettings settings, ReportQuery query)
    {
        Settings = settings;
        Query = query;
        _zone = Domain.TenantTimeZone.Find(settings.TimeZone);
        if (query.From is { } from && query.To is { } to && from > to)
        {
            throw new ValidationException("from", "must not be after 'to'");
        }

        if (query.Pipeline is { } id && settings.FindPipeline(id) is null)
        {
            throw new ValidationException("pipeline", $"'{id}' is not a pipeline of this tenant");
        }
    }

    public TenantSettings Settings { get; }
    public ReportQuery Query { get; }

    /// <summary>The pipeline asked for, or the tenant's first.</summary>
    public Pipeline PipelineOrFirst =>
        (Query.Pipeline is { } id ? Settings.FindPipeline(id) : null) ?? Settings.Pipelines.FirstOrDefault() ?? TenantSettings.DefaultPipeline;

    /// <summary>The day a time falls on in the tenant's time zone.</summary>
    public DateOnly LocalDate(DateTimeOffset time) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time, _zone).DateTime);

    /// <summary>Whether a day is inside the query's period.</summary>
    public bool InPeriod(DateOnly day) => (Query.From is not { } from || day >= from) && (Query.To is not { } to || day <= to);

    /// <summary>Whether a time falls on a day inside the query's period.</summary>
    public bool InPeriod(DateTimeOffset time) => InPeriod(LocalDate(time));

    /// <summary>The stage of a deal in its pipeline's current definition, or null.</summary>
    public PipelineStage? StageOf(DealFact deal) =>
        Settings.FindPipeline(deal.Pipeline ?? PipelineOrFirst.Id)?.Stages.FirstOrDefault(s => s.Id == deal.Stage);

    /// <summary>The deal's pipeline id (deals are always given one; the first pipeline when an old one lacks it).</summary>
    public string PipelineIdOf(DealFact deal) => deal.Pipeline ?? PipelineOrFirst.Id;

    public bool IsWon(DealFact deal) => StageOf(deal) is { IsWon: true };

    public bool IsLost(DealFact deal) => StageOf(deal) is { IsLost: true };

    /// <summary>The deal's probability in percent: its own, else its stage's.</summary>
    public decimal ProbabilityOf(DealFact deal) => deal.Probability ?? StageOf(deal)?.Probability ?? 0;

    /// <summary>
    /// The day whose rate converts a deal's amount: its expected close date; without one, the day it was won or lost,
    /// or else the day it was created.
    /// </summary>
    public DateOnly ValuationDate(DealFact deal) =>
        deal.CloseDate ?? (IsWon(deal) || IsLost(deal) ? LocalDate(deal.StageAt) : LocalDate(deal.CreatedAt));

    /// <summary>The deal's amount in the base currency, or null (and noted) when its currency has no rate on its valuation date.</summary>
    public decimal? BaseAmount(DealFact deal)
    {
        var currency = deal.Currency ?? Settings.BaseCurrency;
        var date = ValuationDate(deal);
        if (Settings.RateOn(currency, date) is { } rate) return deal.Amount * rate;
        _missing[(currency, date)] = _missing.GetValueOrDefault((currency, date)) + 1;
        return null;
    }

    /// <summary>The conversions that could not be made, by currency and day.</summary>
    public IReadOnlyList<MissingRate> MissingRates =>
        [.. _missing.OrderBy(m => m.Key.Currency, StringComparer.Ordinal).ThenBy(m => m.Key.Date).Select(m => new MissingRate(m.Key.Currency, m.Key.Date, m.Value))];

    /// <summary>Money, minutes, days and shares as reported: exactly two decimals, halves away from zero.</summary>
    public static decimal Round(decimal value) => Math.Round(value, 2, MidpointRounding.AwayFromZero) + 0.00m;

    /// <summary>A share in percent with two decimals, or null when there is nothing to divide by.</summary>
    public static decimal? Percent(int part, int whole) => whole == 0 ? null : Round(part * 100m / whole);
}
