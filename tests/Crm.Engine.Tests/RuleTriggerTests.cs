using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Testing;

namespace Crm.Engine.Tests;

/// <summary>JavaScript rules on the triggers and actions the other rule tests do not reach.</summary>
public sealed class RuleTriggerTests : IAsyncLifetime
{
    private CrmTestEngine _crm = null!;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _crm.DisposeAsync();

    private Task SaveAsync(string id, string source) => _crm.Client.Rules.CreateAsync(new RuleDraft { Id = id, Source = source });

    private async Task<CrmRecord> EventuallyAsync(string type, string id, Func<CrmRecord, bool> condition)
    {
        CrmRecord? record = null;
        await Eventually.TrueAsync(async () => (record = await _crm.Client.GetAsync(type, id)) is not null && condition(record));
        return record!;
    }

    private async Task<CrmRecord> TaskTitledAsync(string title, int links = 0)
    {
        CrmRecord? task = null;
        await Eventually.TrueAsync(async () =>
            (task = (await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery { Filter = Filter.Eq("title", title) })).Items.SingleOrDefault()) is not null
            && task.Links.Count >= links);
        return task!;
    }

    [Fact]
    public async Task A_logged_call_creates_a_follow_up_record()
    {
        await SaveAsync("call-follow-up", """
            export default {
              on: "interaction.logged",
              when: e => e.after.kind === "call",
              then: (e, act) => act.createRecord("task", { title: "Follow up: " + e.after.subject, due: e.time }),
            };
            """);
        var call = await _crm.Client.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "call", ["subject"] = "Renewal" });
        await _crm.Client.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "note", ["subject"] = "Lunch" });

        var task = await TaskTitledAsync("Follow up: Renewal");
        var due = DateTimeOffset.Parse((string)task.Fields["due"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(call.CreatedAt, due, TimeSpan.FromMilliseconds(1));
        Assert.Empty((await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery { Filter = Filter.Eq("title", "Follow up: Lunch") })).Items);
    }

    [Fact]
    public async Task A_withdrawn_consent_removes_a_tag()
    {
        await SaveAsync("newsletter-tag", """
            export default {
              on: "contact.consentChanged",
              when: e => e.payload.purpose === "newsletter" && e.payload.status === "Withdrawn",
              then: (e, act) => act.removeTag("newsletter"),
            };
            """);
        var ann = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Ann", ["tags"] = new JsonArray("newsletter", "vip") });
        await _crm.Client.SetConsentAsync(ann.Id, new ConsentChange { Purpose = "newsletter", Channel = "email", Status = ConsentStatus.Withdrawn, Source = "unsubscribe link" });

        var after = await EventuallyAsync(RecordTypes.Contact, ann.Id, c => c.Fields["tags"]!.AsArray().Count == 1);
        Assert.Equal(["vip"], after.Fields["tags"]!.AsArray().Select(t => (string?)t));
    }

    [Fact]
    public async Task Linking_a_contact_to_an_account_updates_the_contact()
    {
        await SaveAsync("account-of-contact", """
            export default {
              on: "account.linked",
              when: e => e.payload.targetType === "contact",
              then: (e, act) => act.updateRecord("contact", e.payload.targetId, { accountId: e.record.id }),
            };
            """);
        var acme = await _crm.Client.CreateAsync(RecordTypes.Account, new JsonObject { ["name"] = "Acme" });
        var bob = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Bob" });
        await _crm.Client.LinkAsync(RecordTypes.Account, acme.Id, new RecordLink(RecordTypes.Contact, bob.Id, "Buyer"));

        var linked = await EventuallyAsync(RecordTypes.Contact, bob.Id, c => c.Fields["accountId"] is not null);
        Assert.Equal(acme.Id, (string?)linked.Fields["accountId"]);
        var change = (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, bob.Id)).Items.Last();
        Assert.Equal(Actor.Rule("account-of-contact", 1), change.Actor);
    }

    [Fact]
    public async Task Deleting_a_deal_and_an_urgent_case_reach_their_rules()
    {
        await SaveAsync("deleted-deal", """export default { on: "deal.deleted", then: (e, act) => act.createTask({ title: "Deal deleted: " + e.after.name }) };""");
        await SaveAsync("urgent-on-call", """
            export default {
              on: "case.created",
              stage: "enrich",
              when: e => e.after.priority === "urgent",
              then: (e, act) => act.assign({ user: "u-on-call" }),
            };
            """);
        var deal = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Gone Co" });
        await _crm.Client.DeleteAsync(RecordTypes.Deal, deal.Id);
        var task = await TaskTitledAsync("Deal deleted: Gone Co", links: 1);
        Assert.Equal(new RecordLink(RecordTypes.Deal, deal.Id), Assert.Single(task.Links));

        var urgent = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Outage", ["priority"] = "urgent" });
        var normal = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Question" });
        Assert.Equal("u-on-call", (string?)urgent.Fields["assigneeId"]);
        Assert.Null(normal.Fields["assigneeId"]);
    }
}
