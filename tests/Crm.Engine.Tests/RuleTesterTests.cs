using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Testing;

namespace Crm.Engine.Tests;

/// <summary><see cref="RuleTester"/>: a rule author's unit test of a sample rule, with no engine.</summary>
public sealed class RuleTesterTests
{
    [Fact]
    public void A_sample_rule_is_tested_on_a_made_up_event()
    {
        var e = RuleTester.Event("deal.stageChanged", after: new JsonObject { ["name"] = "Initech", ["amount"] = 20_000 }, payload: new JsonObject { ["to"] = "proposal" });

        var result = RuleTester.Evaluate(SampleRules.Source("big-deal-follow-up"), e);

        Assert.True(result.Matched);
        Assert.Equal("Call about Initech", (string?)result.Action(RuleActionKinds.CreateTask)["fields"]!["title"]);
        Assert.False(RuleTester.Evaluate(SampleRules.Source("big-deal-follow-up"), RuleTester.Event("deal.stageChanged",
            after: new JsonObject { ["name"] = "Tiny", ["amount"] = 20 }, payload: new JsonObject { ["to"] = "proposal" })).Matched);
    }

    [Fact]
    public void Scoring_lines_and_the_event_time_as_now_are_what_the_engine_would_see()
    {
        var monday = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        RuleEvent Event(string trigger) => RuleTester.Event(trigger, before: new JsonObject { ["title"] = "Engineer" },
            after: new JsonObject { ["title"] = "VP Sales", ["email"] = "vp@acme.example" }, time: monday);
        var e = Event("contact.updated");

        var scoring = RuleTester.Evaluate(SampleRules.Source("lead-scoring"), Event("contact.saved"));
        Assert.Equal(["Senior title", "Business email"], scoring.Actions.Select(a => (string?)a.Args()["reason"]));

        var clock = RuleTester.Evaluate("""export default { on: "contact.updated", then: (e, act) => act.set({ custom: { seen: new Date().toISOString() } }) };""", e);
        Assert.Equal("2026-03-02T09:00:00.000Z", (string?)clock.Action(RuleActionKinds.Set)["fields"]!["custom"]!["seen"]);
        Assert.Equal(["title", "email"], e.Changes.Select(c => c.Key));
    }

    [Fact]
    public void A_rule_the_engine_would_refuse_is_refused_here_too()
    {
        var e = RuleTester.Event("deal.created", after: []);
        var refused = Assert.Throws<ValidationException>(() => RuleTester.Evaluate("""export default { on: "deals.created", then: () => {} };""", e));
        Assert.Equal("source", Assert.Single(refused.Errors).Field);
        Assert.Throws<ArgumentException>(() => RuleTester.Evaluate("""export default { on: "contact.created", then: () => {} };""", e));
    }
}
