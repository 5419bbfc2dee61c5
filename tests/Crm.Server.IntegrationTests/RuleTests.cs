using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>Rules over <c>/api/v1/rules</c>: authoring, versions, refusals as ProblemDetails, dry-run and backtest.</summary>
public sealed class RuleTests(CrmServerFixture fixture)
{
    private static string Body(string id, string source) => new JsonObject { ["id"] = id, ["source"] = source }.ToJsonString();

    private const string Tagger = """export default { on: "contact.created", stage: "enrich", then: (e, act) => act.addTag("from-rule") };""";

    [Fact]
    public async Task A_rule_saved_over_http_acts_and_its_versions_are_kept()
    {
        var tenant = await fixture.NewTenantAsync();
        var created = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/rules", tenant.AdminKey, Body("tagger", Tagger));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(1, created.Json["version"]!.GetValue<int>());
        Assert.Equal("enrich", created.Json["stage"]!.GetValue<string>());
        Assert.Equal("contact.created", created.Json["on"]!.GetValue<string>());

        var contact = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada" });
        Assert.Equal(["from-rule"], contact.Fields["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        var updated = await fixture.Server.SendAsync(HttpMethod.Put, "api/v1/rules/tagger", tenant.AdminKey,
            new JsonObject { ["source"] = Tagger.Replace("from-rule", "v2") }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal(2, updated.Json["version"]!.GetValue<int>());
        var versions = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/rules/tagger/versions", tenant.AdminKey);
        Assert.Equal([1, 2], versions.Json["items"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()));
        var first = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/rules/tagger/versions/1", tenant.AdminKey);
        Assert.Equal(Tagger, first.Json["source"]!.GetValue<string>());

        var history = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{contact.Id}/history", tenant.AdminKey);
        Assert.Contains(history.Json["items"]!.AsArray(), e => e!["actor"]!.GetValue<string>() == "rule:tagger@1");

        var disabled = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/rules/tagger/disable", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.OK, disabled.Status);
        Assert.False(disabled.Json["enabled"]!.GetValue<bool>());
        var listed = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/rules", tenant.AdminKey);
        var item = Assert.Single(listed.Json["items"]!.AsArray())!;
        Assert.Equal("tagger", item["rule"]!["id"]!.GetValue<string>());
        Assert.Equal(1, item["health"]!["evaluations"]!.GetValue<int>());

        var deleted = await fixture.Server.SendAsync(HttpMethod.Delete, "api/v1/rules/tagger", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/rules/tagger", tenant.AdminKey)).Status);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/rules/tagger/versions/2", tenant.AdminKey)).Status);
    }

    [Theory]
    [InlineData("export default { then: (e, act) => {} };", "on")]
    [InlineData("export default { on: \"deal.stageChanged\", then: (e, act) => { act.addTag( };", "(1:")]
    [InlineData("export default { on: \"nonsense.created\", then: (e, act) => {} };", "nonsense")]
    [InlineData("export default { on: \"schedule\", cron: \"every day\", then: (e, act) => {} };", "cron")]
    [InlineData("const x = 1;", "export default")]
    public async Task A_bad_source_is_a_400_naming_the_source_and_saves_nothing(string source, string mentioned)
    {
        var tenant = await fixture.NewTenantAsync();
        var refused = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/rules", tenant.AdminKey, Body("bad", source));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.True(refused.IsProblem);
        var message = refused.Json["errors"]!["source"]![0]!.GetValue<string>();
        Assert.Contains(mentioned, message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty((await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/rules", tenant.AdminKey)).Json["items"]!.AsArray());
    }

    [Fact]
    public async Task A_validate_rule_refusal_is_a_422_naming_the_field_and_the_rule()
    {
        var tenant = await fixture.NewTenantAsync();
        await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/rules", tenant.AdminKey, Body("no-free-mail",
            """export default { on: "contact.saved", stage: "validate", when: e => (e.after.email ?? "").endsWith("@gmail.com"), then: (e, act) => act.reject("Use a work address", "email") };"""));

        var refused = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/contacts", tenant.AdminKey, """{"firstName":"Bo","email":"bo@gmail.com"}""");

        Assert.Equal((HttpStatusCode)422, refused.Status);
        Assert.Equal("urn:crm:problem:rule_rejected", refused.ProblemType);
        Assert.Equal("Use a work address", refused.Json["errors"]!["email"]![0]!.GetValue<string>());
        Assert.Equal("no-free-mail@1", refused.Json["rules"]![0]!.GetValue<string>().Split(':')[1]);
        var none = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/contacts", tenant.AdminKey);
        Assert.Empty(none.Json["items"]!.AsArray());
    }

    [Fact]
    public async Task Only_admins_manage_rules()
    {
        var tenant = await fixture.NewTenantAsync();
        var manager = await tenant.AddUserAsync(ApiRole.Manager);
        var refused = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/rules", manager.Key, Body("x", Tagger));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.True(refused.IsProblem);
    }

    [Fact]
    public async Task Dry_run_and_backtest_report_without_changing_anything()
    {
        var tenant = await fixture.NewTenantAsync();
        var deal = await tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Big", ["amount"] = 50_000 });
        await tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Small", ["amount"] = 50 });
        const string bigDeals = """export default { on: "deal.created", when: e => e.after.amount > 1000, then: (e, act) => act.addTag("big") };""";

        var dry = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/rules/dry-run", tenant.AdminKey,
            new JsonObject { ["source"] = bigDeals, ["recordType"] = "deal", ["recordId"] = deal.Id }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, dry.Status);
        // The deal's latest event is its stage change on creation, which this rule does not hear; name the creation.
        Assert.Empty(dry.Json["evaluations"]!.AsArray());
        var created = (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/deals/{deal.Id}/history", tenant.AdminKey))
            .Json["items"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "record.created")!["eventId"]!.GetValue<string>();
        var onCreation = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/rules/dry-run", tenant.AdminKey,
            new JsonObject { ["source"] = bigDeals, ["recordType"] = "deal", ["recordId"] = deal.Id, ["eventId"] = created }.ToJsonString());
        var evaluation = Assert.Single(onCreation.Json["evaluations"]!.AsArray())!;
        Assert.True(evaluation["matched"]!.GetValue<bool>());
        Assert.Equal("addTag", evaluation["actions"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal("big", evaluation["actions"]![0]!["args"]!["tag"]!.GetValue<string>());

        var backtest = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/rules/backtest", tenant.AdminKey,
            new JsonObject { ["sources"] = new JsonObject { ["big-deals"] = bigDeals } }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, backtest.Status);
        var summary = Assert.Single(backtest.Json["rules"]!.AsArray())!;
        Assert.Equal(2, summary["evaluations"]!.GetValue<int>());
        Assert.Equal(1, summary["fired"]!.GetValue<int>());
        Assert.Equal(1, summary["actions"]!["addTag"]!.GetValue<int>());
        Assert.Equal(deal.Id, backtest.Json["samples"]![0]!["recordId"]!.GetValue<string>());

        var unchanged = await tenant.Admin.Deals.GetAsync(deal.Id);
        Assert.Null(unchanged!.Fields["tags"]);
    }
}
