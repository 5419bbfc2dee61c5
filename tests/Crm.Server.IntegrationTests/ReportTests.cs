using System.Net;

namespace Crm.Server.IntegrationTests;

/// <summary><c>/api/v1/reports</c>: JSON and CSV, bad parameters, roles, and exchange rates over the settings API.</summary>
public sealed class ReportTests(CrmServerFixture fixture)
{
    /// <summary>
    /// Pipeline "eu" with one open stage at 40 % whose name needs CSV quoting; EUR at 1.2 from 2026-01-01, fiscal
    /// year from April; deals EUR 1000 closing 2026-05-10 and USD 500 closing 2026-06-01.
    /// </summary>
    private async Task<TenantScope> SeedAsync()
    {
        var tenant = await fixture.NewTenantAsync();
        var key = tenant.AdminKey;
        await Ok(HttpMethod.Patch, "api/v1/settings", key, """{ "baseCurrency": "USD", "fiscalYearStartMonth": 4 }""");
        await Ok(HttpMethod.Put, "api/v1/settings/pipelines/eu", key,
            """{ "name": "Europe", "stages": [ { "id": "open", "name": "Open, \"hot\"", "probability": 40 }, { "id": "won", "name": "Won", "probability": 100, "isWon": true } ] }""");
        var rates = await Ok(HttpMethod.Put, "api/v1/settings/exchange-rates/EUR/2026-01-01", key, """{ "rate": 1.2 }""");
        Assert.Equal(1.2m, (decimal)rates.Json["exchangeRates"]![0]!["rate"]!);
        await Ok(HttpMethod.Post, "api/v1/deals", key, """{ "name": "Berlin", "pipeline": "eu", "amount": 1000, "currency": "EUR", "closeDate": "2026-05-10" }""", HttpStatusCode.Created);
        await Ok(HttpMethod.Post, "api/v1/deals", key, """{ "name": "Boston", "pipeline": "eu", "amount": 500, "currency": "USD", "closeDate": "2026-06-01" }""", HttpStatusCode.Created);
        await Eventually.TrueAsync(async () =>
        {
            var status = (await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/reports/status", key)).Json;
            return (long)status["position"]! >= (long)status["head"]!;
        }, TimeSpan.FromSeconds(30), "the reports projection to catch up");
        return tenant;
    }

    private async Task<RawResponse> Ok(HttpMethod method, string path, string key, string? json = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await fixture.Server.SendAsync(method, path, key, json);
        Assert.True(response.Status == expected, response.ToString());
        return response;
    }

    private static string[] Lines(string csv) => csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public async Task Pipeline_report_answers_json_and_csv_in_the_base_currency()
    {
        var tenant = await SeedAsync();

        var json = await Ok(HttpMethod.Get, "api/v1/reports/pipeline?pipeline=eu", tenant.AdminKey);
        Assert.Equal("application/json", json.MediaType);
        var stage = json.Json["stages"]!.AsArray().Single()!;
        Assert.Equal(("open", 2, 1700m, 680m), ((string)stage["stage"]!, (int)stage["count"]!, (decimal)stage["amount"]!, (decimal)stage["weighted"]!));
        Assert.Equal(("USD", 1700m), ((string)json.Json["currency"]!, (decimal)json.Json["amount"]!));

        var csv = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/reports/pipeline?pipeline=eu", tenant.AdminKey,
            headers: new Dictionary<string, string> { ["Accept"] = "text/csv" });
        Assert.Equal(HttpStatusCode.OK, csv.Status);
        Assert.Equal("text/csv", csv.MediaType);
        Assert.Equal(
            [
                "stage,name,probability,count,amount,weighted,currency",
                "open,\"Open, \"\"hot\"\"\",40,2,1700.00,680.00,USD",
                "total,,,2,1700.00,680.00,USD",
            ],
            Lines(csv.Body));
    }

    [Fact]
    public async Task Forecast_csv_has_fiscal_months_quarters_and_a_total()
    {
        var tenant = await SeedAsync();

        var csv = await Ok(HttpMethod.Get, "api/v1/reports/forecast?pipeline=eu&format=csv", tenant.AdminKey);

        Assert.Equal(
            [
                "kind,period,fiscalYear,fiscalQuarter,count,amount,weighted,wonCount,won,currency",
                "month,2026-05,FY2027,Q1,1,1200.00,480.00,0,0.00,USD",
                "month,2026-06,FY2027,Q1,1,500.00,200.00,0,0.00,USD",
                "quarter,FY2027-Q1,FY2027,Q1,2,1700.00,680.00,0,0.00,USD",
                "total,total,,,2,1700.00,680.00,0,0.00,USD",
            ],
            Lines(csv.Body));
    }

    [Fact]
    public async Task The_typed_client_reads_reports_as_json_and_csv_and_sets_rates()
    {
        var tenant = await fixture.NewTenantAsync();
        await tenant.Admin.Settings.ChangeGeneralAsync(new System.Text.Json.Nodes.JsonObject { ["baseCurrency"] = "EUR" }, TestData.Cancel);
        var settings = await tenant.Admin.Settings.SetExchangeRateAsync("USD", new DateOnly(2026, 1, 1), 0.5m, TestData.Cancel);
        Assert.Single(settings["exchangeRates"]!.AsArray());
        await tenant.Admin.Deals.CreateAsync(new System.Text.Json.Nodes.JsonObject { ["name"] = "Big", ["stage"] = "negotiation", ["amount"] = 1000, ["currency"] = "USD", ["closeDate"] = "2026-03-01" });
        await Eventually.TrueAsync(async () =>
        {
            var status = await tenant.Admin.Reports.GetStatusAsync(TestData.Cancel);
            return (long)status["position"]! >= (long)status["head"]!;
        }, TimeSpan.FromSeconds(30), "the reports projection to catch up");

        var forecast = await tenant.Admin.Reports.GetAsync("forecast", from: new DateOnly(2026, 1, 1), to: new DateOnly(2026, 12, 31), cancellationToken: TestData.Cancel);
        Assert.Equal((500m, 375m), ((decimal)forecast["total"]!["amount"]!, (decimal)forecast["total"]!["weighted"]!));
        var csv = await tenant.Admin.Reports.GetCsvAsync("win-rate", cancellationToken: TestData.Cancel);
        Assert.Equal(",0,0,,0.00,,,EUR", Lines(csv)[1]);

        // A value a spreadsheet would run as a formula is written as text.
        await tenant.Admin.Contacts.CreateAsync(new System.Text.Json.Nodes.JsonObject { ["firstName"] = "Eve", ["source"] = "=HYPERLINK(\"x\")" });
        await Eventually.TrueAsync(async () => (await tenant.Admin.Reports.GetAsync("funnel", cancellationToken: TestData.Cancel))["total"]!["contacts"]!.GetValue<int>() == 1,
            TimeSpan.FromSeconds(30), "the contact to reach the funnel");
        Assert.StartsWith("\"'=HYPERLINK(\"\"x\"\")\",1,", Lines(await tenant.Admin.Reports.GetCsvAsync("funnel", cancellationToken: TestData.Cancel))[1], StringComparison.Ordinal);

        await tenant.Admin.Settings.RemoveExchangeRateAsync("USD", new DateOnly(2026, 1, 1), TestData.Cancel);
        var unconverted = await tenant.Admin.Reports.GetAsync("pipeline", cancellationToken: TestData.Cancel);
        Assert.Equal("USD", (string?)unconverted["missingRates"]![0]!["currency"]);
    }

    [Fact]
    public async Task Bad_parameters_are_a_400_naming_the_parameter()
    {
        var tenant = await fixture.NewTenantAsync();
        foreach (var (query, field) in new[]
        {
            ("forecast?from=2026-13-01", "from"),
            ("forecast?from=2026-05-01&to=2026-04-01", "from"),
            ("pipeline?pipeline=nope", "pipeline"),
            ("win-rate?to=yesterday", "to"),
            ("pipeline?format=xml", "format"),
            ("pipeline?includeClosed=maybe", "includeClosed"),
        })
        {
            var bad = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/reports/" + query, tenant.AdminKey);
            Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
            Assert.True(bad.IsProblem, bad.ToString());
            Assert.True(bad.Json["errors"]!.AsObject().ContainsKey(field), bad.ToString());
        }

        var rate = await fixture.Server.SendAsync(HttpMethod.Put, "api/v1/settings/exchange-rates/EUR/2026-02-30", tenant.AdminKey, """{ "rate": 1.1 }""");
        Assert.Equal(HttpStatusCode.BadRequest, rate.Status);
        Assert.True(rate.Json["errors"]!.AsObject().ContainsKey("from"), rate.ToString());
    }

    [Fact]
    public async Task Agents_may_not_read_reports_and_only_admins_of_the_bootstrap_tenant_rebuild_them()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(Crm.Engine.Client.ApiRole.Agent);
        var reader = await tenant.AddUserAsync(Crm.Engine.Client.ApiRole.ReadOnly);

        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/reports/pipeline", agent.Key)).Status);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/reports/funnel", reader.Key)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/reports/rebuild", reader.Key)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/reports/rebuild", tenant.AdminKey)).Status);

        var rebuild = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/reports/rebuild", fixture.Server.BootstrapKey);
        Assert.Equal(HttpStatusCode.Accepted, rebuild.Status);
        await Eventually.TrueAsync(async () =>
        {
            var status = (await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/reports/status", fixture.Server.BootstrapKey)).Json;
            return (long)status["position"]! >= (long)status["head"]!;
        }, TimeSpan.FromSeconds(30), "the rebuilt reports projection to catch up");
    }
}
