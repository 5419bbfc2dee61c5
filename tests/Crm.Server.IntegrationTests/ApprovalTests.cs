using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>Deal stage approvals over HTTP: who may decide, what a decision answers, the list of pending approvals.</summary>
public sealed class ApprovalTests(CrmServerFixture fixture)
{
    /// <summary>A tenant whose sales pipeline's "won" stage needs approval from 10,000 up, and a deal of <paramref name="owner"/> waiting for it.</summary>
    private async Task<(TenantScope Tenant, ApiRecord Deal)> PendingDealAsync(CrmHttpClient? owner = null)
    {
        var tenant = await fixture.NewTenantAsync();
        await tenant.Admin.Settings.DefinePipelineAsync("sales", TestData.Obj("""
            { "name": "Sales", "stages": [
              { "id": "proposal", "name": "Proposal", "probability": 50 },
              { "id": "won", "name": "Won", "probability": 100, "isWon": true, "requiresApproval": true, "approvalMinAmount": 10000 } ] }
            """), TestData.Cancel);
        var seller = owner ?? tenant.Admin;
        var deal = await seller.Deals.CreateAsync(new JsonObject { ["name"] = "Fleet", ["amount"] = 25_000 });
        var held = await seller.Deals.PatchAsync(deal.Id, new JsonObject { ["stage"] = "won" });
        Assert.Equal("proposal", held.GetString("stage"));
        Assert.Equal("pending", (string?)held.Fields["approval"]!["status"]);
        return (tenant, held);
    }

    [Fact]
    public async Task An_agent_or_readonly_key_may_not_decide_and_gets_a_403_problem()
    {
        var (tenant, deal) = await PendingDealAsync();
        foreach (var role in new[] { ApiRole.Agent, ApiRole.ReadOnly })
        {
            var caller = (await tenant.AddUserAsync(role)).Client;
            var refused = await Assert.ThrowsAsync<CrmApiException>(() => caller.Approvals.ApproveAsync(deal.Id, cancellationToken: TestData.Cancel));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal(ProblemTypes.Forbidden, refused.ProblemType);
            Assert.Equal("application/problem+json", refused.ContentType);
            await Assert.ThrowsAsync<CrmApiException>(() => caller.Approvals.RejectAsync(deal.Id, cancellationToken: TestData.Cancel));
        }

        Assert.Equal("pending", (string?)(await tenant.Admin.Deals.GetAsync(deal.Id)).Fields["approval"]!["status"]);
    }

    [Fact]
    public async Task A_manager_approves_and_the_deal_enters_the_stage()
    {
        var (tenant, deal) = await PendingDealAsync();
        var manager = await tenant.AddUserAsync(ApiRole.Manager);
        var requestId = (string)deal.Fields["approval"]!["requestId"]!;

        var approved = await manager.Client.Approvals.ApproveAsync(deal.Id, "Signed.", requestId, TestData.Cancel);
        Assert.Equal("won", approved.GetString("stage"));
        Assert.Equal(100m, approved.Fields["probability"]!.GetValue<decimal>());
        Assert.Equal("approved", (string?)approved.Fields["approval"]!["status"]);
        Assert.Equal($"apikey:{manager.KeyId}", (string?)approved.Fields["approval"]!["decidedBy"]);
        Assert.Equal("Signed.", (string?)approved.Fields["approval"]!["comment"]);

        var history = (await tenant.Admin.Deals.GetHistoryAsync(deal.Id, cancellationToken: TestData.Cancel)).Items;
        var decision = history.Where(e => e.Version > deal.Version).ToList();
        Assert.Equal(["deal.approvalGranted", "record.updated", "deal.stageChanged"], decision.Select(e => e.Type));
        Assert.All(decision, e => Assert.Equal(requestId, e.CausationId));
    }

    [Fact]
    public async Task An_admin_rejects_with_a_comment_and_the_stage_stays()
    {
        var (tenant, deal) = await PendingDealAsync();
        var response = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/deals/{deal.Id}/approval/reject", tenant.AdminKey, """{"comment":"Not this quarter"}""");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("proposal", (string?)response.Json["stage"]);
        Assert.Equal("rejected", (string?)response.Json["approval"]!["status"]);
        Assert.Equal("Not this quarter", (string?)response.Json["approval"]!["comment"]);
    }

    [Fact]
    public async Task A_decision_without_a_pending_request_is_a_409_problem()
    {
        var (tenant, deal) = await PendingDealAsync();
        var none = await tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Nothing pending" });
        var refused = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Approvals.ApproveAsync(none.Id, cancellationToken: TestData.Cancel));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(ProblemTypes.ApprovalNotPending, refused.ProblemType);
        Assert.Contains("no pending stage approval", refused.Detail);

        // Deciding a request that is no longer the pending one names the one that is.
        var stale = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Approvals.RejectAsync(deal.Id, expectedRequestId: "r-old", cancellationToken: TestData.Cancel));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal((string?)deal.Fields["approval"]!["requestId"], (string?)stale.Problem!["pendingRequestId"]);

        var bad = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/deals/{deal.Id}/approval/approve", tenant.AdminKey, """{"note":"x"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.True(bad.Json["errors"]!.AsObject().ContainsKey("note"));
        var missing = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/deals/no-such-deal/approval/approve", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Fact]
    public async Task Pending_approvals_are_listed_within_the_callers_scope()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        await tenant.Admin.Settings.DefinePipelineAsync("sales", TestData.Obj("""
            { "name": "Sales", "stages": [ { "id": "open", "name": "Open" }, { "id": "won", "name": "Won", "isWon": true, "requiresApproval": true } ] }
            """), TestData.Cancel);
        var mine = await agent.Client.Deals.CreateAsync(new JsonObject { ["name"] = "Mine" });
        var theirs = await tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Theirs", ["ownerId"] = "someone-else" });
        var quiet = await tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Quiet" });
        await agent.Client.Deals.PatchAsync(mine.Id, new JsonObject { ["stage"] = "won" });
        await tenant.Admin.Deals.PatchAsync(theirs.Id, new JsonObject { ["stage"] = "won" });

        var all = await tenant.Admin.Approvals.ListAsync(cancellationToken: TestData.Cancel);
        Assert.Equal([mine.Id, theirs.Id], all.Items.Select(d => d.Id));
        Assert.DoesNotContain(quiet.Id, all.Items.Select(d => d.Id));
        Assert.Equal([mine.Id], (await agent.Client.Approvals.ListAsync(cancellationToken: TestData.Cancel)).Items.Select(d => d.Id));

        await tenant.Admin.Approvals.RejectAsync(theirs.Id, cancellationToken: TestData.Cancel);
        Assert.Equal([theirs.Id], (await tenant.Admin.Approvals.ListAsync("rejected", cancellationToken: TestData.Cancel)).Items.Select(d => d.Id));
        var bad = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/approvals?status=maybe", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.True(bad.Json["errors"]!.AsObject().ContainsKey("status"));
    }
}
