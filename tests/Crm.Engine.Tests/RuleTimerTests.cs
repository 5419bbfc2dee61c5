using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Rules;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Engine.Tests;

/// <summary>"If the case is still unresolved 4 h after opening, escalate": a rule starts a durable timer, another reacts when it fires.</summary>
public sealed class RuleTimerTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "crm-ruletimers-" + Guid.NewGuid().ToString("N"));
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(_directory,
        o => o.Coordination.TimeProvider = _clock,
        services => services.AddCrmRule<StartEscalationClock>().AddCrmRule<Escalate>().AddCrmRule<StopEscalationClock>(),
        Ct);

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class StartEscalationClock : CrmRule
    {
        public override string Id => "escalation-clock";
        public override string On => "case.created";
        public override void Then(RuleEvent e, IRuleActions act) => act.SetTimer("escalate", e.Time.AddHours(4), new JsonObject { ["level"] = 1 });
    }

    private sealed class StopEscalationClock : CrmRule
    {
        public override string Id => "escalation-stop";
        public override string On => "case.statusChanged";
        public override RuleStage Stage => RuleStage.Enrich;
        public override bool When(RuleEvent e) => (string?)e.Payload["to"] is "resolved" or "closed";
        public override void Then(RuleEvent e, IRuleActions act) => act.CancelTimer("escalate");
    }

    private sealed class Escalate : CrmRule
    {
        public override string Id => "escalate";
        public override string On => "case.timerFired";
        public override bool When(RuleEvent e) => (string?)e.Payload["name"] == "escalate" && (string?)e.After["status"] is not ("resolved" or "closed");

        public override void Then(RuleEvent e, IRuleActions act)
        {
            act.Set(new JsonObject { ["priority"] = "urgent" });
            act.AddTag("escalated");
        }
    }

    private Task LetTheSchedulerScanAsync() => _crm.LetTheSchedulerScanAsync(_clock);

    [Fact]
    public async Task An_unresolved_case_is_escalated_four_hours_after_opening_and_a_resolved_one_is_not()
    {
        var open = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Server down" });
        var solved = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Password reset" });
        await Eventually.TrueAsync(async () =>
            (await _crm.Client.GetTimersAsync(RecordTypes.Case, open.Id)).Count == 1 && (await _crm.Client.GetTimersAsync(RecordTypes.Case, solved.Id)).Count == 1);
        await _crm.Client.UpdateAsync(RecordTypes.Case, solved.Id, new JsonObject { ["status"] = "resolved" });
        Assert.Empty(await _crm.Client.GetTimersAsync(RecordTypes.Case, solved.Id));

        await LetTheSchedulerScanAsync();
        Assert.Equal("normal", (string?)(await _crm.Client.GetAsync(RecordTypes.Case, open.Id))!.Fields["priority"]);

        // A restart in between: the timer is durable.
        var due = (await _crm.Client.GetTimersAsync(RecordTypes.Case, open.Id)).Single().DueAt;
        Assert.Equal(open.CreatedAt.AddHours(4), due);
        await _crm.RestartAsync(Ct);
        _clock.SetUtcNow(due);
        await Eventually.TrueAsync(async () => (string?)(await _crm.Client.GetAsync(RecordTypes.Case, open.Id))!.Fields["priority"] == "urgent");

        var escalated = await _crm.Client.GetAsync(RecordTypes.Case, open.Id);
        Assert.Contains("escalated", escalated!.Fields["tags"]!.AsArray().Select(t => (string?)t));
        var history = (await _crm.Client.GetHistoryAsync(RecordTypes.Case, open.Id)).Items;
        var fired = history.Single(e => e.Type == "timer.fired");
        var change = history.Single(e => e.Actor == Actor.Rule("escalate", 1));
        Assert.Equal(fired.EventId, RuleCausation.TriggerEventId(change.CausationId));
        Assert.Equal("normal", (string?)(await _crm.Client.GetAsync(RecordTypes.Case, solved.Id))!.Fields["priority"]);
    }
}
