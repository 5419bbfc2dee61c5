using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Storage;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Tests;

/// <summary>Compiled C# rules in every stage of the pipeline, with provenance on their effects.</summary>
public sealed class CompiledRuleTests : IAsyncLifetime
{
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(
        configure: o => o.Rules.MaxCascadeDepth = 3,
        services: services => services
            .AddCrmRule<AmountCap>()
            .AddCrmRule<SeniorTitleScore>()
            .AddCrmRule<ProposalTask>()
            .AddCrmRule<EchoForever>(),
        cancellationToken: Ct);

    public ValueTask DisposeAsync() => _crm.DisposeAsync();

    private sealed class AmountCap : CrmRule
    {
        public override string Id => "amount-cap";
        public override string On => "deal.updated";
        public override RuleStage Stage => RuleStage.Validate;
        public override IReadOnlyList<string> Fields => ["amount"];
        public override bool When(RuleEvent e) => (decimal?)e.After["amount"] > 1_000_000m;
        public override void Then(RuleEvent e, IRuleActions act) => act.Reject("Deals above 1,000,000 need a contract review first", "amount");
    }

    private sealed class SeniorTitleScore : CrmRule
    {
        public override string Id => "senior-title";
        public override int Version => 3;
        public override string On => "contact.updated";
        public override RuleStage Stage => RuleStage.Enrich;
        public override bool When(RuleEvent e) => ((string?)e.After["title"])?.Contains("VP", StringComparison.Ordinal) == true;

        public override void Then(RuleEvent e, IRuleActions act)
        {
            act.Score(20, "Senior title");
            act.AddTag("senior");
        }
    }

    private sealed class ProposalTask : CrmRule
    {
        public override string Id => "proposal-task";
        public override string On => "deal.stageChanged";
        public override bool When(RuleEvent e) => (string?)e.Payload["to"] == "proposal";
        public override void Then(RuleEvent e, IRuleActions act) =>
            act.CreateTask(new JsonObject { ["title"] = "Send the proposal for " + (string?)e.After["name"], ["priority"] = "high" });
    }

    // Reacts to its own change: a cascade that only the depth limit stops.
    private sealed class EchoForever : CrmRule
    {
        public override string Id => "echo";
        public override string On => "account.updated";
        public override IReadOnlyList<string> Fields => ["industry"];
        public override void Then(RuleEvent e, IRuleActions act) =>
            act.Set(new JsonObject { ["industry"] = "echo " + e.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    [Fact]
    public async Task A_validate_rule_refuses_the_write_naming_the_field_and_nothing_is_written()
    {
        var deal = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Big one", ["amount"] = 10 });

        var refused = await Assert.ThrowsAsync<RuleRejectedException>(() =>
            _crm.Client.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["amount"] = 2_000_000 }));

        Assert.Equal("amount", Assert.Single(refused.Errors).Field);
        Assert.Contains("contract review", refused.Message);
        Assert.Equal(["rule:amount-cap@1"], refused.Rules);
        var now = await _crm.Client.GetAsync(RecordTypes.Deal, deal.Id);
        Assert.Equal(10m, (decimal)now!.Fields["amount"]!);
        Assert.Equal(deal.Version, now.Version);
        // The grain is still consistent: a valid change goes through on top.
        await _crm.Client.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["amount"] = 500 });
    }

    [Fact]
    public async Task An_enrich_rule_scores_and_tags_in_the_same_append_with_provenance()
    {
        var ada = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Ada" });
        var vp = await _crm.Client.UpdateAsync(RecordTypes.Contact, ada.Id, new JsonObject { ["title"] = "VP Engineering" });

        Assert.Equal(20, (int)vp.Fields["score"]!);
        var line = Assert.Single(vp.Fields["scoreBreakdown"]!.AsArray())!;
        Assert.Equal("senior-title", (string?)line["rule"]);
        Assert.Equal("Senior title", (string?)line["reason"]);
        Assert.Contains("senior", vp.Fields["tags"]!.AsArray().Select(t => (string?)t));

        var history = (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, ada.Id)).Items;
        var userChange = history.Single(e => e.Type == "record.updated" && e.Actor.Kind == ActorKind.System);
        var ruleEvents = history.Where(e => e.Actor == Actor.Rule("senior-title", 3)).ToList();
        Assert.Equal(["record.updated", "contact.scoreChanged"], ruleEvents.Select(e => e.Type));
        Assert.All(ruleEvents, e => Assert.Equal(userChange.EventId, RuleCausation.TriggerEventId(e.CausationId)));
        Assert.All(ruleEvents, e => Assert.Equal(userChange.Version + 1, e.Version - (e.Type == "contact.scoreChanged" ? 1 : 0)));

        // The criterion stops holding: the rule's points go.
        var cto = await _crm.Client.UpdateAsync(RecordTypes.Contact, ada.Id, new JsonObject { ["title"] = "Engineer" });
        Assert.Null(cto.Fields["score"]);
    }

    [Fact]
    public async Task A_react_rule_creates_a_linked_task_once_attributed_to_the_rule()
    {
        var deal = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Globex renewal" });
        await _crm.Client.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["stage"] = "proposal" });

        CrmRecord? task = null;
        await Eventually.TrueAsync(async () =>
        {
            var page = await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery { Filter = Filter.Eq("title", "Send the proposal for Globex renewal") });
            task = page.Items.SingleOrDefault();
            return task is not null && task.Links.Count == 1;
        });

        Assert.Equal("high", (string?)task!.Fields["priority"]);
        Assert.Equal(new RecordLink(RecordTypes.Deal, deal.Id), task.Links.Single());
        var created = (await _crm.Client.GetHistoryAsync(RecordTypes.Task, task.Id)).Items[0];
        Assert.Equal(Actor.Rule("proposal-task", 1), created.Actor);
        var stageChange = (await _crm.Client.GetHistoryAsync(RecordTypes.Deal, deal.Id)).Items.Last(e => e.Type == "deal.stageChanged");
        Assert.Equal(stageChange.EventId, RuleCausation.TriggerEventId(created.CausationId));
        Assert.Equal(1, RuleCausation.Depth(created.CausationId));
    }

    [Fact]
    public async Task A_cascade_stops_at_the_depth_limit_with_the_error_recorded()
    {
        var account = await _crm.Client.CreateAsync(RecordTypes.Account, new JsonObject { ["name"] = "Loop Inc" });
        await _crm.Client.UpdateAsync(RecordTypes.Account, account.Id, new JsonObject { ["industry"] = "start" });

        await Eventually.TrueAsync(async () =>
            (await _crm.Store.Coordination.ListOutboxAsync(RuleReactor.SubscriptionName, 0, 1000, Ct)).Any(r => r.Kind == RuleReactor.CascadeStoppedKind));

        var record = await _crm.Client.GetAsync(RecordTypes.Account, account.Id);
        Assert.Equal("echo 2", (string?)record!.Fields["industry"]); // depths 0, 1 and 2 acted; the action at depth 3 was stopped
        var health = _crm.Services.GetRequiredService<RuleHealth>().Report(_crm.Client.Tenant, "echo");
        Assert.Contains("depth limit of 3", health!.LastError);
    }
}
