using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Reports;
using Crm.Engine.Testing;

namespace Crm.Engine.Tests;

/// <summary>
/// Reports against a hand-computed data set: base currency USD, EUR at 1.10 from 2026-01-01 and 1.20 from
/// 2026-04-01, a GBP deal without a rate, and a fiscal year starting in April. Its own engine, because a rebuild
/// drops the projection for every tenant.
/// </summary>
public sealed class ReportTests : IAsyncLifetime
{
    private CrmTestEngine _engine = null!;
    private ICrmClient _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _engine = await CrmTestEngine.StartAsync(cancellationToken: Ct);
        _crm = _engine.ForTenant("acme", Actor.User("tester"));
        await SeedAsync(_crm);
        await CaughtUpAsync(_crm);
    }

    public async ValueTask DisposeAsync() => await _engine.DisposeAsync();

    /// <summary>
    /// Deals of the default pipeline (prospecting 10, qualification 20, proposal 50, negotiation 75, won, lost):
    /// d1 USD 1000 prospecting, closes 2026-02-15; d2 EUR 2000 (first 1000) proposal, 2026-03-31 (rate 1.10);
    /// d3 EUR 500 negotiation at 90 %, 2026-04-01 (rate 1.20); d4 USD 3000 won (from negotiation), 2026-04-30;
    /// d5 EUR 1000 lost, 2026-03-01; d6 USD 800 qualification, no close date; d7 GBP 100 prospecting, 2026-05-05 (no rate).
    /// </summary>
    internal static async Task SeedAsync(ICrmClient crm)
    {
        await crm.ChangeSettingsAsync(new GeneralSettingsChange { BaseCurrency = "USD", FiscalYearStartMonth = 4 });
        await crm.SetExchangeRateAsync(new ExchangeRate { Currency = "EUR", From = new DateOnly(2026, 1, 1), Rate = 1.10m });
        await crm.SetExchangeRateAsync(new ExchangeRate { Currency = "EUR", From = new DateOnly(2026, 4, 1), Rate = 1.20m });

        await Deal(crm, "d1", 1000, "USD", "prospecting", "2026-02-15");
        await Deal(crm, "d2", 1000, "EUR", "proposal", "2026-03-31");
        await crm.UpdateAsync(RecordTypes.Deal, "d2", new JsonObject { ["amount"] = 2000 });
        await Deal(crm, "d3", 500, "EUR", "negotiation", "2026-04-01", probability: 90);
        await Deal(crm, "d4", 3000, "USD", "negotiation", "2026-04-30", owner: "u1", source: "web");
        await crm.UpdateAsync(RecordTypes.Deal, "d4", new JsonObject { ["stage"] = "won" });
        await Deal(crm, "d5", 1000, "EUR", "lost", "2026-03-01");
        await Deal(crm, "d6", 800, "USD", "qualification", null);
        await Deal(crm, "d7", 100, "GBP", "prospecting", "2026-05-05");

        await Contact(crm, "c1", "web", "lead");
        await Contact(crm, "c2", "web", "mql");
        await crm.UpdateAsync(RecordTypes.Contact, "c2", new JsonObject { ["lifecycleStage"] = "sql" });
        await Contact(crm, "c3", "web", "customer");
        await Contact(crm, "c4", "event", "mql");
        await crm.UpdateAsync(RecordTypes.Contact, "c4", new JsonObject { ["lifecycleStage"] = "lead" });
        await Contact(crm, "c5", null, "subscriber");

        await crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Broken", ["queueId"] = "support" }, "k1");
        await crm.RecordCaseResponseAsync("k1");
        await crm.UpdateAsync(RecordTypes.Case, "k1", new JsonObject { ["status"] = "resolved" });
        await crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Slow", ["queueId"] = "support" }, "k2");
        await crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Question" }, "k3");

        await crm.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "call", ["ownerId"] = "u1" });
        await crm.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "note", ["ownerId"] = "u1" });
        await crm.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "call", ["ownerId"] = "u2" });
        await crm.CreateAsync(RecordTypes.Task, new JsonObject { ["title"] = "Call back", ["assigneeId"] = "u2" }, "t1");
        await crm.UpdateAsync(RecordTypes.Task, "t1", new JsonObject { ["status"] = "done" });
        await crm.CreateAsync(RecordTypes.Task, new JsonObject { ["title"] = "Send offer", ["assigneeId"] = "u1" });
    }

    private static Task<CrmRecord> Deal(ICrmClient crm, string id, decimal amount, string currency, string stage, string? closeDate,
        decimal? probability = null, string? owner = null, string? source = null)
    {
        var fields = new JsonObject { ["name"] = "Deal " + id, ["amount"] = amount, ["currency"] = currency, ["stage"] = stage };
        if (closeDate is not null) fields["closeDate"] = closeDate;
        if (probability is not null) fields["probability"] = probability;
        if (owner is not null) fields["ownerId"] = owner;
        if (source is not null) fields["source"] = source;
        return crm.CreateAsync(RecordTypes.Deal, fields, id);
    }

    private static Task<CrmRecord> Contact(ICrmClient crm, string id, string? source, string stage)
    {
        var fields = new JsonObject { ["firstName"] = "Contact " + id, ["lifecycleStage"] = stage };
        if (source is not null) fields["source"] = source;
        return crm.CreateAsync(RecordTypes.Contact, fields, id);
    }

    /// <summary>Waits until the reports projection has followed the log up to its head.</summary>
    internal static Task CaughtUpAsync(ICrmClient crm) => Eventually.TrueAsync(async () =>
    {
        var status = await crm.Reports.GetStatusAsync();
        return status.Position >= status.Head;
    });

    [Fact]
    public async Task Pipeline_counts_open_deals_by_stage_with_amounts_and_weighted_amounts_in_the_base_currency()
    {
        var report = await _crm.Reports.PipelineAsync(new ReportQuery(), Ct);

        Assert.Equal("sales", report.Pipeline);
        Assert.Equal("USD", report.Currency);
        Assert.Equal(["prospecting", "qualification", "proposal", "negotiation"], report.Stages.Select(s => s.Stage));
        Assert.Equal([2, 1, 1, 1], report.Stages.Select(s => s.Count));
        // d2: EUR 2000 at 1.10 on 2026-03-31; d3: EUR 500 at 1.20 on 2026-04-01; d7 has no GBP rate.
        Assert.Equal([1000m, 800m, 2200m, 600m], report.Stages.Select(s => s.Amount));
        Assert.Equal([100m, 160m, 1100m, 540m], report.Stages.Select(s => s.Weighted));
        Assert.Equal((5, 4600m, 1900m), (report.Count, report.Amount, report.Weighted));
        Assert.Equal([new MissingRate("GBP", new DateOnly(2026, 5, 5), 1)], report.MissingRates);
    }

    [Fact]
    public async Task Pipeline_with_closed_stages_adds_won_and_lost_deals()
    {
        var report = await _crm.Reports.PipelineAsync(new ReportQuery { IncludeClosed = true }, Ct);

        var won = report.Stages.Single(s => s.Stage == "won");
        var lost = report.Stages.Single(s => s.Stage == "lost");
        Assert.Equal((1, 3000m, 3000m), (won.Count, won.Amount, won.Weighted));
        Assert.Equal((1, 1100m, 0m), (lost.Count, lost.Amount, lost.Weighted)); // EUR 1000 at 1.10 on 2026-03-01
        Assert.Equal((7, 8700m, 4900m), (report.Count, report.Amount, report.Weighted));
    }

    [Fact]
    public async Task Forecast_buckets_deals_by_close_month_into_fiscal_quarters_weighted_by_probability()
    {
        var report = await _crm.Reports.ForecastAsync(new ReportQuery(), Ct);

        Assert.Equal(4, report.FiscalYearStartMonth);
        Assert.Equal(
            [
                ("2026-02", "FY2026", "Q4", 1, 1000m, 100m, 0, 0m),
                ("2026-03", "FY2026", "Q4", 1, 2200m, 1100m, 0, 0m),
                ("2026-04", "FY2027", "Q1", 1, 600m, 540m, 1, 3000m),
                ("2026-05", "FY2027", "Q1", 1, 0m, 0m, 0, 0m),
            ],
            report.Months.Select(Tuple));
        Assert.Equal(
            [
                ("FY2026-Q4", "FY2026", "Q4", 2, 3200m, 1200m, 0, 0m),
                ("FY2027-Q1", "FY2027", "Q1", 2, 600m, 540m, 1, 3000m),
            ],
            report.Quarters.Select(Tuple));
        Assert.Equal((4, 3800m, 1740m, 1, 3000m), (report.Total.Count, report.Total.Amount, report.Total.Weighted, report.Total.WonCount, report.Total.Won));
        Assert.Equal(1, report.WithoutCloseDate);
        Assert.Equal([new MissingRate("GBP", new DateOnly(2026, 5, 5), 1)], report.MissingRates);
    }

    [Fact]
    public async Task Forecast_keeps_to_the_period_of_close_dates()
    {
        var report = await _crm.Reports.ForecastAsync(new ReportQuery { From = new DateOnly(2026, 3, 1), To = new DateOnly(2026, 4, 30) }, Ct);

        Assert.Equal(["2026-03", "2026-04"], report.Months.Select(m => m.Period));
        Assert.Equal((2, 2800m, 1640m, 3000m), (report.Total.Count, report.Total.Amount, report.Total.Weighted, report.Total.Won));
        Assert.Empty(report.MissingRates);
    }

    [Fact]
    public async Task A_rate_set_later_converts_the_deals_it_covers()
    {
        var other = _engine.ForTenant("rates", Actor.User("tester"));
        await Deal(other, "g1", 100, "GBP", "prospecting", "2026-05-05");
        await CaughtUpAsync(other);
        Assert.Equal(0m, (await other.Reports.PipelineAsync(new ReportQuery(), Ct)).Amount);

        await other.SetExchangeRateAsync(new ExchangeRate { Currency = "GBP", From = new DateOnly(2026, 5, 1), Rate = 1.25m });

        var report = await other.Reports.PipelineAsync(new ReportQuery(), Ct);
        Assert.Equal((125m, 12.5m), (report.Amount, report.Weighted));
        Assert.Empty(report.MissingRates);
    }

    [Fact]
    public async Task Win_rate_funnel_cases_and_owner_activity_follow_the_records()
    {
        var winRate = await _crm.Reports.WinRateAsync(new ReportQuery(), Ct);
        Assert.Equal((1, 1, 50m, 3000m), (winRate.Won, winRate.Lost, winRate.WinRate, winRate.WonAmount));
        Assert.NotNull(winRate.AverageCycleDays);

        var funnel = await _crm.Reports.FunnelAsync(new ReportQuery(), Ct);
        Assert.Equal(
            [("(none)", 1, 0, 0, 0, 0, 0m), ("event", 1, 1, 0, 0, 0, 0m), ("web", 3, 2, 2, 1, 1, 3000m)],
            funnel.Sources.Select(s => (s.Source, s.Contacts, s.Mql, s.Sql, s.Customers, s.DealsWon, s.WonAmount)));
        Assert.Equal(33.33m, funnel.Sources[^1].CustomerRate);
        Assert.Equal((5, 3, 2, 1, 20m), (funnel.Total.Contacts, funnel.Total.Mql, funnel.Total.Sql, funnel.Total.Customers, funnel.Total.CustomerRate));

        var cases = await _crm.Reports.CasesAsync(new ReportQuery(), Ct);
        Assert.Equal([("(none)", 1, 0, 0), ("support", 2, 1, 1)], cases.Queues.Select(q => (q.Queue, q.Created, q.Responded, q.Resolved)));
        Assert.Equal(3, cases.Total.Created);
        Assert.Null(cases.Total.SlaCompliance);

        var owners = await _crm.Reports.OwnerActivityAsync(new ReportQuery(), Ct);
        Assert.Equal([("u1", 2, 0, 1, 3000m), ("u2", 1, 1, 0, 0m)], owners.Owners.Select(o => (o.Owner, o.Interactions, o.TasksDone, o.DealsWon, o.WonAmount)));
    }

    [Fact]
    public async Task A_deleted_deal_leaves_the_reports_and_another_tenant_sees_none_of_them()
    {
        var other = _engine.ForTenant("other", Actor.User("tester"));
        await Deal(other, "x1", 50, "USD", "proposal", "2026-02-01");
        await other.DeleteAsync(RecordTypes.Deal, "x1");
        await Deal(other, "x2", 70, "USD", "proposal", "2026-02-01");
        await CaughtUpAsync(other);

        var report = await other.Reports.PipelineAsync(new ReportQuery(), Ct);
        Assert.Equal((1, 70m), (report.Count, report.Amount));
        Assert.Equal(4600m, (await _crm.Reports.PipelineAsync(new ReportQuery(), Ct)).Amount);
    }

    [Fact]
    public async Task Bad_parameters_are_refused_naming_the_parameter()
    {
        var unknown = await Assert.ThrowsAsync<ValidationException>(() => _crm.Reports.PipelineAsync(new ReportQuery { Pipeline = "nope" }, Ct));
        Assert.Equal("pipeline", Assert.Single(unknown.Errors).Field);
        var backwards = await Assert.ThrowsAsync<ValidationException>(() =>
            _crm.Reports.ForecastAsync(new ReportQuery { From = new DateOnly(2026, 5, 1), To = new DateOnly(2026, 4, 1) }, Ct));
        Assert.Equal("from", Assert.Single(backwards.Errors).Field);
        var rate = await Assert.ThrowsAsync<ValidationException>(() =>
            _crm.SetExchangeRateAsync(new ExchangeRate { Currency = "EUR", From = new DateOnly(2026, 1, 1), Rate = 0 }));
        Assert.Equal("rate", Assert.Single(rate.Errors).Field);
    }

    [Fact]
    public async Task Rebuilding_from_zero_gives_identical_reports()
    {
        var before = await AllReportsAsync();

        await _crm.Reports.RebuildAsync(Ct);
        await CaughtUpAsync(_crm);

        Assert.Equal(before, await AllReportsAsync());
    }

    private async Task<string> AllReportsAsync()
    {
        var all = new JsonObject
        {
            ["pipeline"] = Strip(await _crm.Reports.PipelineAsync(new ReportQuery { IncludeClosed = true }, Ct)),
            ["forecast"] = Strip(await _crm.Reports.ForecastAsync(new ReportQuery(), Ct)),
            ["winRate"] = Strip(await _crm.Reports.WinRateAsync(new ReportQuery(), Ct)),
            ["funnel"] = Strip(await _crm.Reports.FunnelAsync(new ReportQuery(), Ct)),
            ["cases"] = Strip(await _crm.Reports.CasesAsync(new ReportQuery(), Ct)),
            ["owners"] = Strip(await _crm.Reports.OwnerActivityAsync(new ReportQuery(), Ct)),
        };
        return all.ToJsonString();
    }

    /// <summary>The report without its position (the log may have moved on by a rollup in between).</summary>
    private static JsonNode Strip<T>(T report)
    {
        var node = JsonSerializer.SerializeToNode(report)!.AsObject();
        node.Remove("Position");
        return node;
    }

    private static (string, string, string, int, decimal, decimal, int, decimal) Tuple(ForecastBucket b) =>
        (b.Period, b.FiscalYear, b.FiscalQuarter, b.Count, b.Amount, b.Weighted, b.WonCount, b.Won);
}
