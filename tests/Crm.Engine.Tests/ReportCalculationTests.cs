using Crm.Engine.Reports;

namespace Crm.Engine.Tests;

/// <summary>
/// The time-based figures of the reports — sales cycles, response and resolution times, SLA compliance, periods in
/// the tenant's time zone and fiscal labels — over facts with hand-picked times.
/// </summary>
public sealed class ReportCalculationTests
{
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static DealFact Deal(string id, string stage, DateTimeOffset created, DateTimeOffset stageAt, decimal amount = 100, string currency = "USD") =>
        new(id, created, stageAt, "sales", stage, amount, currency, null, null, "u1", null);

    private static CaseFact Case(string id, string? queue, double? respondMinutes, double? resolveMinutes, bool sla = false, bool breached = false) =>
        new(id, Monday, queue, At(respondMinutes), At(resolveMinutes), sla, breached);

    private static DateTimeOffset? At(double? minutes) => minutes is { } m ? Monday.AddMinutes(m) : null;

    [Fact]
    public void Win_rate_averages_the_days_from_creation_to_won_or_lost_within_the_period()
    {
        var facts = new ReportFacts();
        facts.Deals.Add(Deal("a", "won", Monday, Monday.AddDays(10)));
        facts.Deals.Add(Deal("b", "won", Monday, Monday.AddDays(20), amount: 50, currency: "EUR"));
        facts.Deals.Add(Deal("c", "lost", Monday, Monday.AddDays(3)));
        facts.Deals.Add(Deal("d", "lost", Monday, Monday.AddDays(40))); // closed 2026-04-11, after the period
        facts.Deals.Add(Deal("e", "proposal", Monday, Monday));
        var settings = new TenantSettings { ExchangeRates = [new ExchangeRate { Currency = "EUR", From = new DateOnly(2026, 1, 1), Rate = 2m }] };
        var context = new ReportContext(settings, new ReportQuery { From = new DateOnly(2026, 3, 1), To = new DateOnly(2026, 3, 31) });

        var report = DealReports.WinRate(facts, context, 7);

        Assert.Equal((2, 1, 66.67m), (report.Won, report.Lost, report.WinRate));
        Assert.Equal(11m, report.AverageCycleDays); // (10 + 20 + 3) / 3
        Assert.Equal(15m, report.AverageWonCycleDays);
        Assert.Equal(200m, report.WonAmount); // 100 + EUR 50 × 2 on the day it was won (no close date)
        Assert.Equal(7, report.Position);
    }

    [Fact]
    public void Periods_are_days_in_the_tenants_time_zone()
    {
        var facts = new ReportFacts();
        // 2026-03-31 23:30 UTC is already 1 April in Berlin.
        facts.Deals.Add(Deal("late", "won", Monday, new DateTimeOffset(2026, 3, 31, 23, 30, 0, TimeSpan.Zero)));
        var query = new ReportQuery { From = new DateOnly(2026, 3, 1), To = new DateOnly(2026, 3, 31) };

        Assert.Equal(1, DealReports.WinRate(facts, new ReportContext(new TenantSettings(), query), 0).Won);
        Assert.Equal(0, DealReports.WinRate(facts, new ReportContext(new TenantSettings { TimeZone = "Europe/Berlin" }, query), 0).Won);
    }

    [Fact]
    public void Case_report_gives_averages_medians_and_sla_compliance_per_queue()
    {
        var facts = new ReportFacts();
        facts.Cases.Add(Case("1", "support", 10, 100, sla: true));
        facts.Cases.Add(Case("2", "support", 20, 300, sla: true, breached: true));
        facts.Cases.Add(Case("3", "support", 60, null, sla: true)); // under an SLA, not yet decided
        facts.Cases.Add(Case("4", "support", null, null));
        facts.Cases.Add(Case("5", null, 5, 50, sla: true));

        var report = ActivityReports.Cases(facts, new ReportContext(new TenantSettings(), new ReportQuery()), 0);

        var support = report.Queues.Single(q => q.Queue == "support");
        Assert.Equal((4, 3, 2), (support.Created, support.Responded, support.Resolved));
        Assert.Equal((30m, 20m), (support.AverageFirstResponseMinutes, support.MedianFirstResponseMinutes));
        Assert.Equal((200m, 200m), (support.AverageResolutionMinutes, support.MedianResolutionMinutes));
        Assert.Equal((1, 1, 50m), (support.SlaMet, support.SlaBreached, support.SlaCompliance));
        Assert.Equal((2, 1, 66.67m), (report.Total.SlaMet, report.Total.SlaBreached, report.Total.SlaCompliance));
        Assert.Equal((15m, 100m), (report.Total.MedianFirstResponseMinutes, report.Total.MedianResolutionMinutes));
    }

    [Theory]
    [InlineData(2026, 1, 1, "FY2026", "Q1")]
    [InlineData(2026, 12, 1, "FY2026", "Q4")]
    [InlineData(2026, 3, 4, "FY2026", "Q4")]
    [InlineData(2026, 4, 4, "FY2027", "Q1")]
    [InlineData(2026, 9, 7, "FY2027", "Q1")]
    [InlineData(2026, 6, 7, "FY2026", "Q4")]
    [InlineData(2026, 10, 10, "FY2027", "Q1")]
    public void Fiscal_years_are_named_for_the_year_they_end_in(int year, int month, int startMonth, string fiscalYear, string quarter)
    {
        Assert.Equal(fiscalYear, DealReports.FiscalYear(year, month, startMonth));
        Assert.Equal(quarter, DealReports.FiscalQuarter(month, startMonth));
    }

    [Fact]
    public void A_rate_applies_from_its_day_until_the_next_rate_of_the_currency()
    {
        var settings = new TenantSettings
        {
            BaseCurrency = "EUR",
            ExchangeRates =
            [
                new ExchangeRate { Currency = "USD", From = new DateOnly(2026, 1, 1), Rate = 0.9m },
                new ExchangeRate { Currency = "USD", From = new DateOnly(2026, 2, 1), Rate = 0.8m },
            ],
        };

        Assert.Null(settings.RateOn("USD", new DateOnly(2025, 12, 31)));
        Assert.Equal(0.9m, settings.RateOn("USD", new DateOnly(2026, 1, 31)));
        Assert.Equal(0.8m, settings.RateOn("USD", new DateOnly(2026, 2, 1)));
        Assert.Equal(1m, settings.RateOn("EUR", new DateOnly(1999, 1, 1)));
        Assert.Null(settings.RateOn("GBP", new DateOnly(2026, 2, 1)));
    }
}
