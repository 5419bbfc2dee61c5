using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Testing;

namespace Crm.Engine.Tests;

/// <summary>The sample JavaScript rules, saved over the rules API, do what their comments say.</summary>
public sealed class SampleRuleTests : IAsyncLifetime
{
    private CrmTestEngine _crm = null!;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _crm.DisposeAsync();

    private async Task<CrmRecord> EventuallyAsync(string type, string id, Func<CrmRecord, bool> condition)
    {
        CrmRecord? record = null;
        await Eventually.TrueAsync(async () => (record = await _crm.Client.GetAsync(type, id)) is not null && condition(record));
        return record!;
    }

    [Fact]
    public async Task Lead_scoring_adds_points_with_reasons_and_fifty_points_make_an_mql()
    {
        await SampleRules.SaveAsync(_crm.Client, "lead-scoring", "mql-threshold");

        var ada = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject
        {
            ["firstName"] = "Ada", ["email"] = "ada@acme.example", ["title"] = "VP Engineering", ["source"] = "webinar",
        });
        Assert.Equal(45, (int)ada.Fields["score"]!);
        Assert.Equal(["Senior title", "Business email", "Came from a webinar"], ada.Fields["scoreBreakdown"]!.AsArray().Select(l => (string?)l!["reason"]));
        Assert.Equal("lead", (string?)ada.Fields["lifecycleStage"]);

        var pricing = await _crm.Client.UpdateAsync(RecordTypes.Contact, ada.Id, new JsonObject { ["tags"] = new JsonArray("pricing") });
        Assert.Equal(70, (int)pricing.Fields["score"]!);
        var mql = await EventuallyAsync(RecordTypes.Contact, ada.Id, c => (string?)c.Fields["lifecycleStage"] == "mql");

        var history = (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, ada.Id)).Items;
        var scored = history.Where(e => e.Type == "contact.scoreChanged").ToList();
        Assert.Equal(2, scored.Count);
        Assert.All(scored, e => Assert.Equal(Actor.Rule("lead-scoring", 1), e.Actor));
        var promotion = history.Single(e => e.Actor == Actor.Rule("mql-threshold", 1));
        Assert.Equal(scored[1].EventId, RuleCausation.TriggerEventId(promotion.CausationId));

        // A gmail address is not a business email: that line goes, the others stay.
        var personal = await _crm.Client.UpdateAsync(RecordTypes.Contact, ada.Id, new JsonObject { ["email"] = "ada@gmail.com" });
        Assert.Equal(60, (int)personal.Fields["score"]!);
        Assert.Equal("mql", (string?)mql.Fields["lifecycleStage"]);
    }

    [Fact]
    public async Task The_amount_cap_refuses_a_big_deal_naming_the_amount()
    {
        await SampleRules.SaveAsync(_crm.Client, "deal-amount-cap");

        var refused = await Assert.ThrowsAsync<RuleRejectedException>(() =>
            _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Mega", ["amount"] = 2_000_000 }, "mega"));
        Assert.Equal("amount", Assert.Single(refused.Errors).Field);
        Assert.Null(await _crm.Client.GetAsync(RecordTypes.Deal, "mega"));
        await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Fine", ["amount"] = 900_000 });
    }

    [Fact]
    public async Task A_big_deal_in_proposal_gets_a_follow_up_task_and_a_small_one_does_not()
    {
        await SampleRules.SaveAsync(_crm.Client, "big-deal-follow-up");
        var big = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Initech", ["amount"] = 20_000 });
        var small = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Tiny", ["amount"] = 500 });
        await _crm.Client.UpdateAsync(RecordTypes.Deal, small.Id, new JsonObject { ["stage"] = "proposal" });
        await _crm.Client.UpdateAsync(RecordTypes.Deal, big.Id, new JsonObject { ["stage"] = "proposal" });

        CrmRecord? task = null;
        await Eventually.TrueAsync(async () =>
            (task = (await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery { Filter = Filter.Eq("title", "Call about Initech") })).Items.SingleOrDefault()) is { Links.Count: 1 });
        Assert.Equal(new RecordLink(RecordTypes.Deal, big.Id), task!.Links[0]);
        Assert.Equal("high", (string?)task.Fields["priority"]);
        var backtest = await _crm.Client.Rules.BacktestAsync(new RuleBacktestRequest { RuleIds = ["big-deal-follow-up"] });
        Assert.Equal(1, Assert.Single(backtest.Rules).Fired);
    }

    [Fact]
    public async Task Negotiating_a_big_deal_waits_for_a_managers_approval()
    {
        await SampleRules.SaveAsync(_crm.Client, "big-deal-approval");
        var deal = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Umbrella", ["amount"] = 60_000 });

        var held = await _crm.Client.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["stage"] = "negotiation" });
        Assert.Equal("prospecting", (string?)held.Fields["stage"]);
        Assert.Equal("pending", (string?)held.Fields["approval"]!["status"]);
        Assert.Contains("50,000", (string?)held.Fields["approval"]!["reason"]);
        Assert.Equal("rule:big-deal-approval@1", (string?)held.Fields["approval"]!["requestedBy"]);

        var approved = await _crm.Client.ForTenant(_crm.Client.Tenant, Actor.User("u-manager")).ApproveStageAsync(deal.Id, "Go ahead");
        Assert.Equal("negotiation", (string?)approved.Fields["stage"]);

        // A small deal moves at once.
        var small = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Small", ["amount"] = 5_000 });
        Assert.Equal("negotiation", (string?)(await _crm.Client.UpdateAsync(RecordTypes.Deal, small.Id, new JsonObject { ["stage"] = "negotiation" })).Fields["stage"]);
    }

    [Fact]
    public async Task A_saved_rule_gets_versions_and_a_disabled_one_stops_acting()
    {
        var v1 = await _crm.Client.Rules.CreateAsync(new RuleDraft { Id = "tagger", Source = """export default { on: "account.created", then: (e, act) => act.addTag("v1") };""" });
        var v2 = await _crm.Client.Rules.UpdateAsync(new RuleDraft { Id = "tagger", Source = """export default { on: "account.created", stage: "enrich", then: (e, act) => act.addTag("v2") };""" });
        Assert.Equal([1, 2], [v1.Version, v2.Version]);
        Assert.Equal(RuleStage.Enrich, v2.Stage);

        var tagged = await _crm.Client.CreateAsync(RecordTypes.Account, new JsonObject { ["name"] = "Hooli" });
        Assert.Equal(["v2"], tagged.Fields["tags"]!.AsArray().Select(t => (string?)t));
        var change = (await _crm.Client.GetHistoryAsync(RecordTypes.Account, tagged.Id)).Items.Single(e => e.Actor.Kind == ActorKind.Rule);
        Assert.Equal(Actor.Rule("tagger", 2), change.Actor);

        await _crm.Client.Rules.DisableAsync("tagger", "Trying without");
        var plain = await _crm.Client.CreateAsync(RecordTypes.Account, new JsonObject { ["name"] = "Pied Piper" });
        Assert.Null(plain.Fields["tags"]);
        var status = await _crm.Client.Rules.GetAsync("tagger");
        Assert.False(status!.Rule.Enabled);
        Assert.Equal("Trying without", status.Rule.DisabledReason);
        Assert.Equal(2, (await _crm.Client.Rules.GetVersionsAsync("tagger")).Count);
    }

    [Fact]
    public async Task A_rule_failing_in_react_is_disabled_after_five_failures_in_a_row_and_others_carry_on()
    {
        await _crm.Client.Rules.CreateAsync(new RuleDraft { Id = "broken", Source = """export default { on: "account.created", then: (e, act) => { throw new Error("no such plan: " + e.after.name); } };""" });
        await _crm.Client.Rules.CreateAsync(new RuleDraft { Id = "healthy", Source = """export default { on: "account.created", then: (e, act) => act.addTag("ok") };""" });

        var accounts = new List<string>();
        for (var i = 0; i < 6; i++) accounts.Add((await _crm.Client.CreateAsync(RecordTypes.Account, new JsonObject { ["name"] = $"Acct {i}" })).Id);

        foreach (var id in accounts) await EventuallyAsync(RecordTypes.Account, id, a => a.Fields["tags"] is not null);
        RuleStatus? broken = null;
        await Eventually.TrueAsync(async () => (broken = await _crm.Client.Rules.GetAsync("broken")) is { Rule.Enabled: false });
        Assert.StartsWith("Disabled after 5 failures in a row", broken!.Rule.DisabledReason);
        Assert.Contains("no such plan: Acct", broken.Rule.DisabledReason);
        Assert.Equal(5, broken.Health!.Failures);
    }

    [Fact]
    public async Task A_dry_run_shows_what_a_draft_would_do_without_doing_it()
    {
        var deal = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Vandelay", ["amount"] = 30_000 });
        await _crm.Client.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["stage"] = "proposal" });

        var dry = await _crm.Client.Rules.DryRunAsync(new RuleDryRunRequest { Source = SampleRules.Source("big-deal-follow-up"), RecordType = RecordTypes.Deal, RecordId = deal.Id });

        Assert.Equal("deal.stageChanged", dry.EventType);
        var evaluation = Assert.Single(dry.Evaluations);
        Assert.True(evaluation.Matched);
        var action = Assert.Single(evaluation.Actions);
        Assert.Equal(RuleActionKinds.CreateTask, action.Kind);
        Assert.Equal("Call about Vandelay", (string?)action.Args()["fields"]!["title"]);
        Assert.Empty((await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery())).Items);
    }
}
