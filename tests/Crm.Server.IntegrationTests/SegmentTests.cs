using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>Segments over <c>/api/v1/segments</c>: saved like any record, members and counts kept by the engine.</summary>
public sealed class SegmentTests(CrmServerFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_segment_saved_over_http_lists_its_members_and_counts_them_and_an_agent_sees_only_its_own()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["lifecycleStage"] = "lead", ["ownerId"] = agent.UserId });
        await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Bob", ["lifecycleStage"] = "lead", ["ownerId"] = "someone-else" });
        await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Cy", ["lifecycleStage"] = "customer" });

        var preview = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/segments/preview", tenant.AdminKey,
            """{"recordType":"contact","filter":"lifecycleStage eq \"lead\""}""");
        Assert.Equal(2, preview.Json["count"]!.GetValue<long>());

        var created = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/segments", tenant.AdminKey,
            """{"name":"Open leads","recordType":"contact","filter":"lifecycleStage eq \"lead\""}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Json["id"]!.GetValue<string>();

        await Eventually.TrueAsync(async () =>
            (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/segments/{id}/count", tenant.AdminKey)).Json["count"]!.GetValue<long>() == 2,
            Patience, "the segment's members");
        var members = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/segments/{id}/members", tenant.AdminKey);
        Assert.Equal(["Ada", "Bob"], members.Json["items"]!.AsArray().Select(m => m!["firstName"]!.GetValue<string>()).Order());

        var asAgent = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/segments/{id}/members", agent.Key);
        Assert.Equal(["Ada"], asAgent.Json["items"]!.AsArray().Select(m => m!["firstName"]!.GetValue<string>()));
        Assert.Equal(1, (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/segments/{id}/count", agent.Key)).Json["count"]!.GetValue<long>());

        // Lists can carry the total; membership is a filter like any other.
        var listed = await fixture.Server.SendAsync(HttpMethod.Get,
            $"api/v1/contacts?filter={Uri.EscapeDataString($"segments contains \"{id}\"")}&limit=1&total=true", tenant.AdminKey);
        Assert.Single(listed.Json["items"]!.AsArray());
        Assert.Equal(2, listed.Json["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task Bad_segments_are_refused_naming_the_field_and_agents_may_not_save_one()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);

        var bad = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/segments", tenant.AdminKey,
            """{"name":"Broken","recordType":"contact","filter":"lifecycleStage eq"}""");
        var preview = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/segments/preview", tenant.AdminKey, """{"recordType":"task","filter":"status eq \"open\""}""");
        var byAgent = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/segments", agent.Key,
            """{"name":"Mine","recordType":"contact","filter":"lifecycleStage eq \"lead\""}""");
        var unknown = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/segments/nope/members", tenant.AdminKey);

        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.True(bad.IsProblem);
        Assert.NotNull(bad.Json["errors"]!["filter"]);
        Assert.Equal(HttpStatusCode.BadRequest, preview.Status);
        Assert.NotNull(preview.Json["errors"]!["recordType"]);
        Assert.Equal(HttpStatusCode.Forbidden, byAgent.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }

    [Fact]
    public async Task A_campaign_launched_over_http_queues_its_segments_contacts_and_shows_its_progress()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        var ada = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["email"] = "ada@example.com", ["lifecycleStage"] = "customer" });
        var segment = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/segments", tenant.AdminKey,
            """{"name":"Customers","recordType":"contact","filter":"lifecycleStage eq \"customer\""}""");
        var segmentId = segment.Json["id"]!.GetValue<string>();
        var campaign = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/campaigns", tenant.AdminKey,
            new JsonObject { ["name"] = "Spring", ["segmentId"] = segmentId, ["channel"] = "email", ["purpose"] = "marketing", ["body"] = "Hi {{ contact.firstName }}" }.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, campaign.Status);
        Assert.Equal("draft", campaign.Json["status"]!.GetValue<string>());
        var id = campaign.Json["id"]!.GetValue<string>();
        await Eventually.TrueAsync(async () =>
            (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/segments/{segmentId}/count", tenant.AdminKey)).Json["count"]!.GetValue<long>() == 1,
            Patience, "the segment's member");

        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/campaigns/{id}/launch", agent.Key)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/campaigns/nope/launch", tenant.AdminKey)).Status);
        var launched = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/campaigns/{id}/launch", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.OK, launched.Status);
        Assert.Equal("running", launched.Json["status"]!.GetValue<string>());

        await Eventually.TrueAsync(async () =>
            (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/campaigns/{id}", tenant.AdminKey)).Json["status"]!.GetValue<string>() == "completed",
            Patience, "the campaign to queue its messages");
        var done = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/campaigns/{id}", tenant.AdminKey);
        Assert.Equal(1, done.Json["queued"]!.GetValue<long>());
        var history = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{ada.Id}/history", tenant.AdminKey);
        Assert.Contains(history.Json["items"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "contact.messageRequested"
            && e["data"]!["messageId"]!.GetValue<string>() == $"campaign:{id}:{ada.Id}");

        var again = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/campaigns/{id}/launch", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.NotNull(again.Json["errors"]!["status"]);
    }
}
