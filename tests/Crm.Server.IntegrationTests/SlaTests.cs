using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>SLA targets and holidays through <c>/api/v1/settings</c>, and what a case shows of its SLA.</summary>
public sealed class SlaTests(CrmServerFixture fixture)
{
    [Fact]
    public async Task Admins_define_sla_targets_per_queue_and_priority_and_cases_show_their_clocks()
    {
        var tenant = await fixture.NewTenantAsync();
        var settings = await tenant.Admin.Settings.DefineSlaTargetAsync("*", null, TestData.Obj("""{ "firstResponseMinutes": 240, "resolutionMinutes": 2400 }"""), TestData.Cancel);
        settings = await tenant.Admin.Settings.DefineSlaTargetAsync("support", "urgent", TestData.Obj("""{ "firstResponseMinutes": 30, "warningPercent": 50 }"""), TestData.Cancel);
        var targets = settings["slaTargets"]!.AsArray();
        Assert.Equal(2, targets.Count);
        Assert.Equal("urgent", (string?)targets[1]!["priority"]);
        Assert.Equal(50, (int?)targets[1]!["warningPercent"]);
        Assert.Equal(80, (int?)targets[0]!["warningPercent"]);

        var urgent = await tenant.Admin.Cases.CreateAsync(new JsonObject { ["subject"] = "Down", ["queueId"] = "support", ["priority"] = "urgent" });
        var sla = urgent.Fields["sla"]!;
        Assert.Equal("support", (string?)sla["queueId"]);
        Assert.Equal("urgent", (string?)sla["priority"]);
        Assert.Equal("running", (string?)sla["firstResponse"]!["status"]);
        Assert.Null(sla["resolution"]);
        var timers = (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/cases/{urgent.Id}/timers", tenant.AdminKey)).Json["items"]!.AsArray();
        Assert.Equal(["sla.firstResponse.breach", "sla.firstResponse.warning"], timers.Select(t => (string?)t!["name"]).Order());

        var other = await tenant.Admin.Cases.CreateAsync(new JsonObject { ["subject"] = "Slow", ["queueId"] = "support" });
        Assert.Equal("*", (string?)other.Fields["sla"]!["queueId"]);

        // The filter language reaches SLA fields too.
        Assert.Equal(2, (await tenant.Admin.Cases.AllAsync("sla.firstResponse.status eq \"running\"")).Count);

        var removed = await tenant.Admin.Settings.RemoveSlaTargetAsync("support", "urgent", TestData.Cancel);
        Assert.Single(removed["slaTargets"]!.AsArray());
        var again = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Settings.RemoveSlaTargetAsync("support", "urgent", TestData.Cancel));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.True(again.Errors.ContainsKey("queueId"));
    }

    [Fact]
    public async Task A_bad_target_is_a_400_naming_the_field_and_only_admins_define_targets()
    {
        var tenant = await fixture.NewTenantAsync();
        var bad = await fixture.Server.SendAsync(HttpMethod.Put, "api/v1/settings/sla-targets/support/critical", tenant.AdminKey,
            """{ "firstResponseMinutes": 0, "warningPercent": 120 }""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal(["firstResponseMinutes", "priority", "warningPercent"], bad.Json["errors"]!.AsObject().Select(p => p.Key).Order());

        var unknown = await fixture.Server.SendAsync(HttpMethod.Put, "api/v1/settings/sla-targets/support", tenant.AdminKey, """{ "firstResponseMinutes": 10, "colour": "red" }""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);

        var manager = await tenant.AddUserAsync(ApiRole.Manager);
        var forbidden = await Assert.ThrowsAsync<CrmApiException>(() =>
            manager.Client.Settings.DefineSlaTargetAsync("*", null, TestData.Obj("""{ "firstResponseMinutes": 10 }"""), TestData.Cancel));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Empty((await tenant.Admin.Settings.GetAsync(cancellationToken: TestData.Cancel))["slaTargets"]!.AsArray());
    }

    [Fact]
    public async Task Holidays_are_general_settings()
    {
        var tenant = await fixture.NewTenantAsync();
        var settings = await tenant.Admin.Settings.ChangeGeneralAsync(TestData.Obj("""{ "holidays": ["2026-12-25", "2026-12-24"] }"""), TestData.Cancel);
        Assert.Equal(["2026-12-24", "2026-12-25"], settings["holidays"]!.AsArray().Select(d => (string?)d));

        var bad = await fixture.Server.SendAsync(HttpMethod.Patch, "api/v1/settings", tenant.AdminKey, """{ "holidays": ["Christmas"] }""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
    }

    [Fact]
    public async Task Sla_timers_and_the_sla_field_cannot_be_written_by_callers()
    {
        var tenant = await fixture.NewTenantAsync();
        await tenant.Admin.Settings.DefineSlaTargetAsync("*", null, TestData.Obj("""{ "firstResponseMinutes": 60 }"""), TestData.Cancel);
        var ticket = await tenant.Admin.Cases.CreateAsync(new JsonObject { ["subject"] = "Mine" });

        var set = await fixture.Server.SendAsync(HttpMethod.Put, $"api/v1/cases/{ticket.Id}/timers/sla.firstResponse.breach", tenant.AdminKey, """{"dueAt":"2030-01-01T00:00:00Z"}""");
        Assert.Equal(HttpStatusCode.BadRequest, set.Status);
        Assert.True(set.Json["errors"]!.AsObject().ContainsKey("name"), set.Body);
        var cancel = await fixture.Server.SendAsync(HttpMethod.Delete, $"api/v1/cases/{ticket.Id}/timers/sla.firstResponse.breach", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, cancel.Status);
        Assert.True(cancel.Json["errors"]!.AsObject().ContainsKey("name"), cancel.Body);
        var patch = await fixture.Server.SendAsync(HttpMethod.Patch, $"api/v1/cases/{ticket.Id}", tenant.AdminKey, """{"sla":null}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.BadRequest, patch.Status);
        Assert.True(patch.Json["errors"]!.AsObject().ContainsKey("sla"), patch.Body);

        Assert.Equal(ticket.Version, (await tenant.Admin.Cases.GetAsync(ticket.Id)).Version);
        Assert.Equal(2, (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/cases/{ticket.Id}/timers", tenant.AdminKey)).Json["items"]!.AsArray().Count);
    }
}
