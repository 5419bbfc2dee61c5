namespace Crm.Engine.Reports;

/// <summary>The deal reports — pipeline, forecast, win rate — computed from facts and settings alone.</summary>
internal static class DealReports
{
    public static PipelineReport Pipeline(ReportFacts facts, ReportContext context, long position)
    {
        var pipeline = context.PipelineOrFirst;
        var stages = pipeline.Stages.Where(s => context.Query.IncludeClosed || !(s.IsWon || s.IsLost)).ToList();
        var rows = new List<PipelineStageRow>();
        foreach (var stage in stages)
        {
            int count = 0;
            decimal amount = 0, weighted = 0;
            foreach (var deal in facts.Deals.Where(d => context.PipelineIdOf(d) == pipeline.Id && d.Stage == stage.Id))
            {
                count++;
                if (context.BaseAmount(deal) is not { } value) continue;
                amount += value;
                weighted += value * context.ProbabilityOf(deal) / 100m;
            }

            rows.Add(new PipelineStageRow
            {
                Stage = stage.Id, Name = stage.Name, Probability = stage.Probability, Count = count,
                Amount = ReportContext.Round(amount), Weighted = ReportContext.Round(weighted),
            });
        }

        return new PipelineReport
        {
            Pipeline = pipeline.Id,
            Currency = context.Settings.BaseCurrency,
            Position = position,
            Stages = rows,
            Count = rows.Sum(r => r.Count),
            Amount = ReportContext.Round(rows.Sum(r => r.Amount)),
            Weighted = ReportContext.Round(rows.Sum(r => r.Weighted)),
            MissingRates = context.MissingRates,
        };
    }

    public static ForecastReport Forecast(ReportFacts facts, ReportContext context, long position)
    {
        var pipeline = context.PipelineOrFirst;
        var start = context.Settings.FiscalYearStartMonth;
        var months = new SortedDictionary<(int Year, int Month), Sum>();
        var withoutCloseDate = 0;
        foreach (var deal in facts.Deals.Where(d => context.PipelineIdOf(d) == pipeline.Id && !context.IsLost(d)))
        {
            var won = context.IsWon(deal);
            if (deal.CloseDate is not { } close)
            {
                if (!won) withoutCloseDate++;
                continue;
            }

            if (!context.InPeriod(close)) continue;
            var sum = months.TryGetValue((close.Year, close.Month), out var found) ? found : months[(close.Year, close.Month)] = new Sum();
            var value = context.BaseAmount(deal);
            if (won)
            {
                sum.WonCount++;
                sum.Won += value ?? 0;
            }
            else
            {
                sum.Count++;
                sum.Amount += value ?? 0;
                sum.Weighted += (value ?? 0) * context.ProbabilityOf(deal) / 100m;
            }
        }

        var monthRows = months.Select(m => Bucket($"{m.Key.Year:D4}-{m.Key.Month:D2}", FiscalYear(m.Key.Year, m.Key.Month, start), FiscalQuarter(m.Key.Month, start), m.Value)).ToList();
        var quarterRows = monthRows
            .GroupBy(m => (m.FiscalYear, m.FiscalQuarter))
            .OrderBy(g => g.Key.FiscalYear, StringComparer.Ordinal).ThenBy(g => g.Key.FiscalQuarter, StringComparer.Ordinal)
            .Select(g => Total($"{g.Key.FiscalYear}-{g.Key.FiscalQuarter}", g.Key.FiscalYear, g.Key.FiscalQuarter, g))
            .ToList();
        return new ForecastReport
        {
            Pipeline = pipeline.Id,
            Currency = context.Settings.BaseCurrency,
            Position = position,
            FiscalYearStartMonth = start,
            Months = monthRows,
            Quarters = quarterRows,
            Total = Total("total", "", "", monthRows),
            WithoutCloseDate = withoutCloseDate,
            MissingRates = context.MissingRates,
        };
    }

    public static WinRateReport WinRate(ReportFacts facts, ReportContext context, long position)
    {
        int won = 0, lost = 0;
        decimal wonAmount = 0, cycleDays = 0, wonCycleDays = 0;
        foreach (var deal in facts.Deals.Where(d => context.Query.Pipeline is null || context.PipelineIdOf(d) == context.Query.Pipeline))
        {
            var isWon = context.IsWon(deal);
            if (!(isWon || context.IsLost(deal)) || !context.InPeriod(deal.StageAt)) continue;
            var days = (decimal)(deal.StageAt - deal.CreatedAt).TotalDays;
            cycleDays += days;
            if (isWon)
            {
                won++;
                wonCycleDays += days;
                wonAmount += context.BaseAmount(deal) ?? 0;
            }
            else
            {
                lost++;
            }
        }

        return new WinRateReport
        {
            Pipeline = context.Query.Pipeline,
            Currency = context.Settings.BaseCurrency,
            Position = position,
            Won = won,
            Lost = lost,
            WinRate = ReportContext.Percent(won, won + lost),
            WonAmount = ReportContext.Round(wonAmount),
            AverageCycleDays = won + lost == 0 ? null : ReportContext.Round(cycleDays / (won + lost)),
            AverageWonCycleDays = won == 0 ? null : ReportContext.Round(wonCycleDays / won),
            MissingRates = context.MissingRates,
        };
    }

    /// <summary>The fiscal year a calendar month belongs to, named for the calendar year it ends in.</summary>
    public static string FiscalYear(int year, int month, int startMonth) =>
        "FY" + (startMonth == 1 || month < startMonth ? year : year + 1).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The fiscal quarter (Q1–Q4) a calendar month falls in.</summary>
    public static string FiscalQuarter(int month, int startMonth) => "Q" + (((month - startMonth + 12) % 12 / 3) + 1);

    private static ForecastBucket Bucket(string period, string fiscalYear, string quarter, Sum sum) => new()
    {
        Period = period, FiscalYear = fiscalYear, FiscalQuarter = quarter,
        Count = sum.Count, Amount = ReportContext.Round(sum.Amount), Weighted = ReportContext.Round(sum.Weighted),
        WonCount = sum.WonCount, Won = ReportContext.Round(sum.Won),
    };

    private static ForecastBucket Total(string period, string fiscalYear, string quarter, IEnumerable<ForecastBucket> buckets)
    {
        var list = buckets.ToList();
        return new ForecastBucket
        {
            Period = period, FiscalYear = fiscalYear, FiscalQuarter = quarter,
            Count = list.Sum(b => b.Count), Amount = ReportContext.Round(list.Sum(b => b.Amount)), Weighted = ReportContext.Round(list.Sum(b => b.Weighted)),
            WonCount = list.Sum(b => b.WonCount), Won = ReportContext.Round(list.Sum(b => b.Won)),
        };
    }

    private sealed class Sum
    {
        public int Count;
        public decimal Amount;
        public decimal Weighted;
        public int WonCount;
        public decimal Won;
    }
}
