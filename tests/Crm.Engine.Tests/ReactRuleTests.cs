using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Messaging;
using Crm.Engine.Rules;
using Crm.Engine.Storage;
using Crm.Engine.Testing;
using Crm.Testing.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Tests;

/// <summary>React rules' actions through the outbox: assignment, messages with consent, webhooks with retries, crash safety.</summary>
public sealed class ReactRuleTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "crm-react-" + Guid.NewGuid().ToString("N"));
    private readonly RecordingConnector _email = new();
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Where the webhook rule posts; each test that uses it points it at its receiver.</summary>
    private static readonly Dictionary<string, string> HookUrls = [];

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(_directory,
        o => o.Coordination.OutboxBackoff = TimeSpan.FromMilliseconds(50),
        services => services
            .AddCrmRule<RoundRobinCases>()
            .AddCrmRule<WelcomeMail>()
            .AddCrmRule<WonDealHook>()
            .AddSingleton<IMessageConnector>(_email),
        Ct);

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class RecordingConnector : IMessageConnector
    {
        public string Channel => "email";
        public List<OutboundMessage> Sent { get; } = [];

        public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            lock (Sent) Sent.Add(message);
            return Task.CompletedTask;
        }
    }

    private sealed class RoundRobinCases : CrmRule
    {
        public override string Id => "route-support";
        public override string On => "case.created";
        public override bool When(RuleEvent e) => (string?)e.After["subject"] is { } s && s.StartsWith("Support:", StringComparison.Ordinal);
        public override void Then(RuleEvent e, IRuleActions act) => act.AssignRoundRobin("queue", "support");
    }

    private sealed class WelcomeMail : CrmRule
    {
        public override string Id => "welcome";
        public override string On => "contact.updated";
        public override IReadOnlyList<string> Fields => ["tags"];
        public override bool When(RuleEvent e) => e.After["tags"] is JsonArray tags && tags.Any(t => (string?)t == "welcome");

        public override void Then(RuleEvent e, IRuleActions act) => act.Send(new JsonObject
        {
            ["channel"] = "email",
            ["purpose"] = "newsletter",
            ["subject"] = "Welcome, " + (string?)e.After["firstName"],
            ["body"] = "Glad to have you.",
        });
    }

    private sealed class WonDealHook : CrmRule
    {
        public override string Id => "won-hook";
        public override string On => "deal.stageChanged";
        public override bool When(RuleEvent e) => (string?)e.Payload["to"] == "won" && HookUrls.ContainsKey((string)e.After["name"]!);
        public override void Then(RuleEvent e, IRuleActions act) =>
            act.Webhook(HookUrls[(string)e.After["name"]!], new JsonObject { ["deal"] = e.RecordId, ["amount"] = e.After["amount"]?.DeepClone() });
    }

    [Fact]
    public async Task Round_robin_assignment_takes_queue_members_in_turn()
    {
        await _crm.Client.CreateAsync(RecordTypes.Queue, new JsonObject { ["name"] = "Support", ["memberIds"] = new JsonArray("u-ann", "u-bob", "u-cy") }, "support");
        var cases = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            // One after another, as a queue sees them: each assignment knows the previous one.
            var c = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = $"Support: printer {i}" });
            cases.Add(c.Id);
            await Eventually.TrueAsync(async () => (await _crm.Client.GetAsync(RecordTypes.Case, c.Id))!.Fields["assigneeId"] is not null);
        }

        var assignees = new List<string?>();
        foreach (var id in cases) assignees.Add((string?)(await _crm.Client.GetAsync(RecordTypes.Case, id))!.Fields["assigneeId"]);
        Assert.Equal(["u-ann", "u-bob", "u-cy", "u-ann"], assignees);
        var first = await _crm.Client.GetAsync(RecordTypes.Case, cases[0]);
        Assert.Equal("support", (string?)first!.Fields["queueId"]);
    }

    [Fact]
    public async Task A_consented_message_is_sent_once_with_a_stable_id_and_logged_on_the_timeline()
    {
        var nora = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Nora", ["email"] = "nora@example.com" });
        var grant = await _crm.Client.SetConsentAsync(nora.Id, new ConsentChange { Purpose = "newsletter", Channel = "email", Status = ConsentStatus.Granted, Source = "signup form" });
        await _crm.Client.UpdateAsync(RecordTypes.Contact, nora.Id, new JsonObject { ["tags"] = new JsonArray("welcome") });

        var email = Assert.Single(await TimelineInteractionsAsync(nora.Id, 1));
        Assert.Equal("email", (string?)email.Fields["kind"]);
        Assert.Equal("outbound", (string?)email.Fields["direction"]);
        Assert.Equal("Welcome, Nora", (string?)email.Fields["subject"]);
        OutboundMessage sent;
        lock (_email.Sent) sent = Assert.Single(_email.Sent, m => m.ContactId == nora.Id);
        Assert.Equal("nora@example.com", sent.To);
        Assert.Equal("newsletter", sent.Purpose);
        Assert.Equal((string?)email.Fields["messageId"], sent.MessageId);
        Assert.Equal(grant.EventId, sent.ConsentEventId);

        var history = (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, nora.Id)).Items;
        Assert.Equal(Actor.Rule("welcome", 1), history.Single(e => e.Type == "contact.messageRequested").Actor);
        var outcome = JsonNode.Parse(history.Single(e => e.Type == "contact.messageSent").PayloadJson)!;
        Assert.Equal(sent.MessageId, (string?)outcome["messageId"]);
        Assert.Equal(grant.EventId.ToString("D"), (string?)outcome["consent"]!["eventId"]);
    }

    [Fact]
    public async Task Without_consent_nothing_is_sent_and_the_history_says_why()
    {
        var will = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Will", ["email"] = "will@example.com" });
        await _crm.Client.UpdateAsync(RecordTypes.Contact, will.Id, new JsonObject { ["tags"] = new JsonArray("welcome") });

        CrmEvent? blocked = null;
        await Eventually.TrueAsync(async () =>
            (blocked = (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, will.Id)).Items.SingleOrDefault(e => e.Type == "contact.messageBlocked")) is not null);
        var reason = (string?)JsonNode.Parse(blocked!.PayloadJson)!["reason"];
        Assert.Contains("newsletter", reason);
        lock (_email.Sent) Assert.DoesNotContain(_email.Sent, m => m.ContactId == will.Id);
        Assert.DoesNotContain((await _crm.Client.QueryAsync(RecordTypes.Interaction, new RecordQuery { Limit = 100 })).Items,
            i => i.Links.Any(l => l.TargetId == will.Id));
    }

    private async Task<List<CrmRecord>> TimelineInteractionsAsync(string contactId, int atLeast)
    {
        List<CrmRecord> found = [];
        await Eventually.TrueAsync(async () =>
        {
            var page = await _crm.Client.QueryAsync(RecordTypes.Interaction, new RecordQuery { Limit = 100 });
            found = [.. page.Items.Where(i => i.Links.Any(l => l.TargetType == RecordTypes.Contact && l.TargetId == contactId))];
            return found.Count >= atLeast;
        });
        return found;
    }

    [Fact]
    public async Task A_webhook_that_fails_is_retried_with_the_same_id_and_the_rule_is_not_evaluated_again()
    {
        await using var receiver = new HttpSink { Answer = (_, n) => n == 0 ? HttpStatusCode.InternalServerError : HttpStatusCode.OK };
        HookUrls["Retry Co"] = receiver.Url();
        var deal = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Retry Co", ["amount"] = 1200 });
        await _crm.Client.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["stage"] = "won" });

        await Eventually.TrueAsync(() => Task.FromResult(receiver.Requests.Any(d => d.Answered == HttpStatusCode.OK)));
        var deliveries = receiver.Requests.ToList();
        Assert.Equal(2, deliveries.Count);
        Assert.Equal(deliveries[0].WebhookId, deliveries[1].WebhookId);
        var body = JsonNode.Parse(deliveries[1].Body)!;
        Assert.Equal(deal.Id, (string?)body["body"]!["deal"]);
        Assert.Equal("won-hook", (string?)body["rule"]);
        var rows = (await _crm.Store.Coordination.ListOutboxAsync(RuleReactor.SubscriptionName, 0, 1000, Ct)).Where(r => r.Key.Contains("won-hook")).ToList();
        Assert.Single(rows);
        // Once per stage change (created in prospecting, then won), not once more per delivery attempt.
        var stageChanges = (await _crm.Client.GetHistoryAsync(RecordTypes.Deal, deal.Id)).Items.Count(e => e.Type == "deal.stageChanged");
        Assert.Equal(2, stageChanges);
        Assert.Equal(stageChanges, _crm.Services.GetRequiredService<RuleHealth>().Report(_crm.Client.Tenant, "won-hook")!.Evaluations);
    }

    [Fact]
    public async Task A_decision_stored_before_a_crash_is_executed_after_the_restart_and_not_decided_again()
    {
        var port = HttpSink.FreePort();
        HookUrls["Crash Co"] = $"http://127.0.0.1:{port}/hook"; // nobody listens yet: every attempt fails
        var deal = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Crash Co" });
        await _crm.Client.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["stage"] = "won" });
        await Eventually.TrueAsync(async () =>
            (await _crm.Store.Coordination.ListOutboxAsync(RuleReactor.SubscriptionName, 0, 1000, Ct)).Any(r => r.Key.Contains("won-hook") && r.Attempts > 0));

        await _crm.RestartAsync(Ct);
        await using var receiver = new HttpSink(port);

        await Eventually.TrueAsync(() => Task.FromResult(!receiver.Requests.IsEmpty));
        await Eventually.TrueAsync(async () =>
            (await _crm.Store.Coordination.ListOutboxAsync(RuleReactor.SubscriptionName, 0, 1000, Ct)).Single(r => r.Key.Contains("won-hook")).Status == OutboxStatus.Done);
        Assert.Single(receiver.Requests);
        Assert.Null(_crm.Services.GetRequiredService<RuleHealth>().Report(_crm.Client.Tenant, "won-hook")); // not evaluated on this run
    }
}
