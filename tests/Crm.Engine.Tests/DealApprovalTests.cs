using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Filtering;
using Crm.Engine.Grains;
using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

/// <summary>Deal stages that need a manager's approval: held moves, approve, reject, cancel by moving on, amount thresholds.</summary>
public sealed class DealApprovalTests(EngineFixture fixture)
{
    private static readonly Pipeline Enterprise = new()
    {
        Id = "enterprise",
        Name = "Enterprise",
        Stages =
        [
            new() { Id = "proposal", Name = "Proposal", Probability = 50 },
            new() { Id = "review", Name = "Legal review", Probability = 70, RequiresApproval = true },
            new() { Id = "negotiation", Name = "Negotiation", Probability = 80 },
            new() { Id = "won", Name = "Won", Probability = 100, IsWon = true, RequiresApproval = true, ApprovalMinAmount = 10_000 },
        ],
    };

    /// <summary>A tenant with the enterprise pipeline, the client of its seller and of its manager.</summary>
    private async Task<(ICrmClient Seller, ICrmClient Manager)> TenantAsync()
    {
        var tenant = fixture.NewTenant();
        var seller = tenant.ForTenant(tenant.Tenant, Actor.User("seller"));
        await seller.DefinePipelineAsync(Enterprise);
        return (seller, seller.ForTenant(seller.Tenant, Actor.User("boss")));
    }

    private static Task<CrmRecord> NewDealAsync(ICrmClient crm, decimal amount = 50_000) =>
        crm.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Rollout", ["pipeline"] = "enterprise", ["amount"] = amount });

    private static async Task<List<CrmEvent>> HistoryAsync(ICrmClient crm, string id) =>
        [.. (await crm.GetHistoryAsync(RecordTypes.Deal, id, limit: 1000)).Items];

    [Fact]
    public async Task Moving_into_a_stage_that_needs_approval_holds_the_move_and_applies_the_rest()
    {
        var (seller, _) = await TenantAsync();
        var deal = await NewDealAsync(seller);

        var held = await seller.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "review", "name": "Rollout 2027" }"""));
        Assert.Equal("proposal", held.GetString("stage"));
        Assert.Equal(50m, held.Fields["probability"]!.GetValue<decimal>());
        Assert.Equal("Rollout 2027", held.GetString("name"));
        var approval = held.Fields["approval"]!;
        Assert.Equal("pending", (string?)approval["status"]);
        Assert.Equal("proposal", (string?)approval["fromStage"]);
        Assert.Equal("review", (string?)approval["toStage"]);
        Assert.Equal("user:seller", (string?)approval["requestedBy"]);
        Assert.Equal("stage 'review' requires approval", (string?)approval["reason"]);
        Assert.NotNull(approval["requestId"]);
        Assert.Null(approval["decidedAt"]);

        var history = await HistoryAsync(seller, deal.Id);
        Assert.Equal(["record.created", "deal.stageChanged", "record.updated", "deal.approvalRequested"], history.Select(e => e.Type));
        Assert.Equal(["name"], JsonNode.Parse(history[2].PayloadJson)!["changes"]!.AsObject().Select(p => p.Key));
        var requested = JsonNode.Parse(history[3].PayloadJson)!;
        Assert.Equal("review", (string?)requested["held"]!["stage"]);
        Assert.Equal(70m, requested["held"]!["probability"]!.GetValue<decimal>());

        // The read model can list deals waiting for approval.
        var pending = await seller.QueryAsync(RecordTypes.Deal, new RecordQuery { Filter = FilterLanguage.Parse("approval.status eq \"pending\"", DateTimeOffset.UtcNow) });
        Assert.Equal(deal.Id, Assert.Single(pending.Items).Id);
    }

    [Fact]
    public async Task Approving_moves_the_deal_with_the_stages_probability_as_the_approver_caused_by_the_request()
    {
        var (seller, manager) = await TenantAsync();
        var deal = await NewDealAsync(seller);
        var held = await seller.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "review" }"""));
        var requestId = (string)held.Fields["approval"]!["requestId"]!;

        var approved = await manager.ApproveStageAsync(deal.Id, "  Legal has the paper.  ");
        Assert.Equal("review", approved.GetString("stage"));
        Assert.Equal(70m, approved.Fields["probability"]!.GetValue<decimal>());
        Assert.Equal(["proposal", "review"], approved.Fields["stageHistory"]!.AsArray().Select(s => (string?)s!["stage"]));
        var approval = approved.Fields["approval"]!;
        Assert.Equal("approved", (string?)approval["status"]);
        Assert.Equal("user:boss", (string?)approval["decidedBy"]);
        Assert.Equal("Legal has the paper.", (string?)approval["comment"]);
        Assert.NotNull(approval["decidedAt"]);

        var decision = (await HistoryAsync(seller, deal.Id)).Where(e => e.Version > held.Version).ToList();
        Assert.Equal(["deal.approvalGranted", "record.updated", "deal.stageChanged"], decision.Select(e => e.Type));
        Assert.All(decision, e => Assert.Equal(Actor.User("boss"), e.Actor));
        Assert.All(decision, e => Assert.Equal(requestId, e.CausationId));
        Assert.All(decision, e => Assert.Equal(decision[0].Time, e.Time));
        Assert.Equal("proposal", (string?)JsonNode.Parse(decision[2].PayloadJson)!["from"]);

        await Assert.ThrowsAsync<ApprovalNotPendingException>(() => manager.ApproveStageAsync(deal.Id));
    }

    [Fact]
    public async Task Rejecting_keeps_the_deal_in_its_stage_with_the_comment()
    {
        var (seller, manager) = await TenantAsync();
        var deal = await NewDealAsync(seller);
        await seller.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "review" }"""));

        var rejected = await manager.RejectStageAsync(deal.Id, "Pricing first.");
        Assert.Equal("proposal", rejected.GetString("stage"));
        Assert.Equal("rejected", (string?)rejected.Fields["approval"]!["status"]);
        Assert.Equal("Pricing first.", (string?)rejected.Fields["approval"]!["comment"]);
        var last = (await HistoryAsync(seller, deal.Id))[^1];
        Assert.Equal("deal.approvalRejected", last.Type);
        Assert.Equal("Pricing first.", (string?)JsonNode.Parse(last.PayloadJson)!["comment"]);
        Assert.DoesNotContain(await HistoryAsync(seller, deal.Id), e => e.Type == "deal.stageChanged" && e.Version > 2);
    }

    [Fact]
    public async Task Moving_elsewhere_while_pending_cancels_the_request_and_moves_on()
    {
        var (seller, manager) = await TenantAsync();
        var deal = await NewDealAsync(seller);
        var held = await seller.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "review" }"""));
        var first = (string)held.Fields["approval"]!["requestId"]!;

        // Asking again for the move that waits keeps the same request and writes nothing.
        var again = await seller.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "review" }"""));
        Assert.Equal(held.Version, again.Version);

        var moved = await seller.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "negotiation" }"""));
        Assert.Equal("negotiation", moved.GetString("stage"));
        Assert.Equal(80m, moved.Fields["probability"]!.GetValue<decimal>());
        Assert.Equal("cancelled", (string?)moved.Fields["approval"]!["status"]);
        Assert.Equal(["record.updated", "deal.approvalCancelled", "deal.stageChanged"],
            (await HistoryAsync(seller, deal.Id)).Where(e => e.Version > held.Version).Select(e => e.Type));
        await Assert.ThrowsAsync<ApprovalNotPendingException>(() => manager.ApproveStageAsync(deal.Id));

        // Back to a stage that needs approval: a new request.
        var heldAgain = await seller.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "review" }"""));
        Assert.Equal("negotiation", heldAgain.GetString("stage"));
        Assert.Equal("pending", (string?)heldAgain.Fields["approval"]!["status"]);
        Assert.NotEqual(first, (string?)heldAgain.Fields["approval"]!["requestId"]);
        var stale = await Assert.ThrowsAsync<ApprovalNotPendingException>(() => manager.ApproveStageAsync(deal.Id, expectedRequestId: first));
        Assert.Equal((string?)heldAgain.Fields["approval"]!["requestId"], stale.PendingRequestId);
    }

    [Fact]
    public async Task A_minimum_amount_limits_approval_to_large_deals()
    {
        var (seller, _) = await TenantAsync();
        var small = await NewDealAsync(seller, amount: 9_999.99m);
        var wonSmall = await seller.UpdateAsync(RecordTypes.Deal, small.Id, Obj("""{ "stage": "won" }"""));
        Assert.Equal("won", wonSmall.GetString("stage"));
        Assert.Null(wonSmall.Fields["approval"]);

        var large = await NewDealAsync(seller, amount: 10_000);
        var heldLarge = await seller.UpdateAsync(RecordTypes.Deal, large.Id, Obj("""{ "stage": "won" }"""));
        Assert.Equal("proposal", heldLarge.GetString("stage"));
        Assert.Equal("stage 'won' requires approval for amounts of 10000 or more", (string?)heldLarge.Fields["approval"]!["reason"]);

        // The amount the deal has after the change is what counts.
        var lowered = await NewDealAsync(seller, amount: 25_000);
        var wonLowered = await seller.UpdateAsync(RecordTypes.Deal, lowered.Id, Obj("""{ "stage": "won", "amount": 5000 }"""));
        Assert.Equal("won", wonLowered.GetString("stage"));
    }

    [Fact]
    public async Task A_decision_without_a_pending_request_is_refused_and_the_approval_is_read_only()
    {
        var (seller, manager) = await TenantAsync();
        var deal = await NewDealAsync(seller);
        var none = await Assert.ThrowsAsync<ApprovalNotPendingException>(() => manager.RejectStageAsync(deal.Id));
        Assert.Equal("approval_not_pending", none.Code);
        Assert.Contains(deal.Id, none.Message);

        var write = await Assert.ThrowsAsync<ValidationException>(() =>
            seller.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "approval": { "status": "approved" } }""")));
        Assert.Equal("approval", Assert.Single(write.Errors).Field);
        Assert.Equal(deal.Version, (await seller.GetAsync(RecordTypes.Deal, deal.Id))!.Version);
    }

    [Fact]
    public async Task A_pipeline_checks_its_approval_settings()
    {
        var crm = fixture.NewTenant();
        var bad = await Assert.ThrowsAsync<ValidationException>(() => crm.DefinePipelineAsync(new Pipeline
        {
            Id = "p",
            Name = "P",
            Stages = [new() { Id = "a", Name = "A", ApprovalMinAmount = 100 }, new() { Id = "b", Name = "B", RequiresApproval = true, ApprovalMinAmount = -1 }],
        }));
        Assert.Equal(["stages[0].approvalMinAmount", "stages[1].approvalMinAmount"], bad.Errors.Select(e => e.Field));
    }

    [Fact]
    public void A_rule_can_hold_a_planned_stage_change_for_approval()
    {
        var now = DateTimeOffset.UtcNow;
        EventBatch Planned()
        {
            var batch = new EventBatch("t", "deal/d1", 3, now, new WriteOptions { Actor = Actor.User("seller") }, Actor.System);
            batch.Add(EventTypes.RecordUpdated, Obj("""{ "changes": { "stage": "negotiation", "probability": 80, "amount": 5 }, "previous": { "stage": "proposal", "probability": 50, "amount": 4 } }"""));
            batch.Add(EventTypes.DealStageChanged, Obj("""{ "pipeline": "enterprise", "from": "proposal", "to": "negotiation" }"""));
            return batch;
        }

        var batch = Planned();
        Assert.True(DealGrain.RequestApproval(batch, "discount above 20%", Actor.Rule("discounts", 3)));
        Assert.Equal(["record.updated", "deal.approvalRequested"], batch.Events.Select(e => e.Type));
        Assert.Equal("""{"changes":{"amount":5},"previous":{"amount":4}}""", batch.Events[0].PayloadJson);
        var request = JsonNode.Parse(batch.Events[1].PayloadJson)!;
        Assert.Equal("negotiation", (string?)request["toStage"]);
        Assert.Equal("proposal", (string?)request["fromStage"]);
        Assert.Equal("rule:discounts@3", (string?)request["requestedBy"]);
        Assert.Equal("discount above 20%", (string?)request["reason"]);
        Assert.Equal("""{"stage":"negotiation","probability":80}""", request["held"]!.ToJsonString());
        Assert.Equal(Actor.User("seller"), batch.Events[1].Actor);

        // Nothing to hold: no stage change, a new deal, or the change an approval just granted.
        var noMove = new EventBatch("t", "deal/d1", 3, now, WriteOptions.None, Actor.System);
        noMove.Add(EventTypes.RecordUpdated, Obj("""{ "changes": { "amount": 5 }, "previous": { "amount": 4 } }"""));
        Assert.False(DealGrain.RequestApproval(noMove, "x", Actor.System));
        var granted = Planned();
        granted.Add(EventTypes.DealApprovalGranted, Obj("""{ "requestId": "r1" }"""));
        Assert.False(DealGrain.RequestApproval(granted, "x", Actor.System));
        Assert.Equal(3, granted.Events.Count);
    }
}
