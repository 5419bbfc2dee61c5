using Crm.Engine.Domain;
using Crm.Engine.Grains;
using Microsoft.Extensions.DependencyInjection;
using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

public sealed class ContactMergeTests(EngineFixture fixture)
{
    private sealed record Setup(ICrmClient Crm, string Survivor, string Merged, string Account, string OtherAccount, string Interaction, string Task, string Deal, string Case);

    private async Task<Setup> SetupAsync()
    {
        var crm = fixture.NewTenant();
        var account = (await crm.CreateAsync(RecordTypes.Account, Obj("""{ "name": "Analytical Engines" }"""))).Id;
        var other = (await crm.CreateAsync(RecordTypes.Account, Obj("""{ "name": "Royal Society" }"""))).Id;
        var survivor = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Ada", "lastName": "Lovelace", "email": "ada@x.com", "tags": ["vip"] }"""))).Id;
        var merged = (await crm.CreateAsync(RecordTypes.Contact, Obj("""
            { "firstName": "Ada", "lastName": "Byron", "email": "ADA.B@y.com", "phone": "+44 20 7946 0958", "title": "Countess", "tags": ["math"] }
            """))).Id;
        await crm.LinkAsync(RecordTypes.Contact, merged, new RecordLink(RecordTypes.Account, account, "founder"));
        await crm.LinkAsync(RecordTypes.Account, other, new RecordLink(RecordTypes.Contact, merged, "fellow"));
        var interaction = (await crm.CreateAsync(RecordTypes.Interaction, Obj("""{ "kind": "call", "subject": "First call" }"""))).Id;
        await crm.LinkAsync(RecordTypes.Interaction, interaction, new RecordLink(RecordTypes.Contact, merged));
        var task = (await crm.CreateAsync(RecordTypes.Task, Obj("""{ "title": "Send notes" }"""))).Id;
        await crm.LinkAsync(RecordTypes.Task, task, new RecordLink(RecordTypes.Contact, merged));
        var deal = (await crm.CreateAsync(RecordTypes.Deal, Obj("""{ "name": "Engine order" }"""))).Id;
        await crm.LinkAsync(RecordTypes.Deal, deal, new RecordLink(RecordTypes.Contact, merged, "buyer"));
        var @case = (await crm.CreateAsync(RecordTypes.Case, Obj($$"""{ "subject": "Broken gear", "contactId": "{{merged}}" }"""))).Id;
        return new Setup(crm, survivor, merged, account, other, interaction, task, deal, @case);
    }

    [Fact]
    public async Task Merge_moves_links_interactions_tasks_and_redirects_reads_of_the_old_id()
    {
        var s = await SetupAsync();
        var due = DateTimeOffset.UtcNow.AddDays(2);
        await s.Crm.SetTimerAsync(RecordTypes.Contact, s.Merged, new RecordTimer("followUp.call", due, """{"note":"ring back"}"""));
        var result = await s.Crm.MergeAsync(RecordTypes.Contact, s.Survivor, s.Merged);

        // A pending follow-up moves with the contact.
        Assert.Empty(await s.Crm.GetTimersAsync(RecordTypes.Contact, s.Merged));
        var timer = Assert.Single(await s.Crm.GetTimersAsync(RecordTypes.Contact, s.Survivor));
        Assert.Equal(("followUp.call", "ring back"), (timer.Name, System.Text.Json.Nodes.JsonNode.Parse(timer.PayloadJson!)!["note"]!.GetValue<string>()));
        Assert.Equal(due.ToUnixTimeSeconds(), timer.DueAt.ToUnixTimeSeconds());

        // Everything that pointed to the merged contact now points to the survivor.
        foreach (var (type, id) in new[] { (RecordTypes.Interaction, s.Interaction), (RecordTypes.Task, s.Task), (RecordTypes.Deal, s.Deal), (RecordTypes.Account, s.OtherAccount) })
        {
            var links = (await s.Crm.GetAsync(type, id))!.Links;
            Assert.Contains(links, l => l.TargetType == RecordTypes.Contact && l.TargetId == s.Survivor);
            Assert.DoesNotContain(links, l => l.TargetId == s.Merged);
        }

        Assert.Equal("buyer", (await s.Crm.GetAsync(RecordTypes.Deal, s.Deal))!.Links.Single().Role);
        Assert.Equal("fellow", (await s.Crm.GetAsync(RecordTypes.Account, s.OtherAccount))!.Links.Single().Role);
        Assert.Equal(s.Survivor, (await s.Crm.GetAsync(RecordTypes.Case, s.Case))!.GetString("contactId"));
        Assert.Equal(5, result.Moved.Count);

        // The survivor filled its empty fields, kept its own on conflicts and took the contact points and links.
        var survivor = result.Survivor;
        Assert.Equal("ada@x.com", survivor.GetString("email"));
        Assert.Equal(["ada@x.com", "ada.b@y.com"], survivor.Get("emails")!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("+442079460958", survivor.GetString("phone"));
        Assert.Equal("Countess", survivor.GetString("title"));
        Assert.Equal("Lovelace", survivor.GetString("lastName"));
        Assert.Equal(["vip", "math"], survivor.Get("tags")!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains(survivor.Links, l => l.TargetType == RecordTypes.Account && l.TargetId == s.Account && l.Role == "founder");
        Assert.Contains("title", result.FilledFields);
        Assert.Equal(new MergeConflict("lastName", "Lovelace", "Byron"), Assert.Single(result.Conflicts));

        // Reads of the old id redirect; the tombstone itself says where it went.
        Assert.Equal(s.Survivor, (await s.Crm.GetAsync(RecordTypes.Contact, s.Merged))!.Id);
        var tombstone = (await s.Crm.GetIncludingDeletedAsync(RecordTypes.Contact, s.Merged))!;
        Assert.True(tombstone.Deleted);
        Assert.Equal(s.Survivor, tombstone.MergedInto);
        Assert.Equal(s.Survivor, (await s.Crm.FindAsync(RecordTypes.Contact, "email", "ada.b@y.com"))!.Id);

        // Both histories stay readable: the merged contact's up to its tombstone, the survivor's with the merge and who made it.
        var old = (await s.Crm.GetHistoryAsync(RecordTypes.Contact, s.Merged)).Items;
        Assert.Equal(EventTypes.RecordCreated, old[0].Type);
        Assert.Equal(EventTypes.RecordMergedInto, old[^1].Type);
        var merge = Assert.Single((await s.Crm.GetHistoryAsync(RecordTypes.Contact, s.Survivor)).Items, e => e.Type == EventTypes.RecordMerged);
        Assert.Equal(Actor.User("tester"), merge.Actor);
        Assert.Contains(s.Merged, merge.PayloadJson);
        var timeline = (await s.Crm.GetTimelineAsync(RecordTypes.Contact, s.Survivor)).Items;
        Assert.Contains(timeline, e => e.StreamId == "interaction/" + s.Interaction && e.Type == EventTypes.RecordCreated);
    }

    [Fact]
    public async Task Consent_merges_per_address_purpose_and_channel_and_the_latest_explicit_decision_wins()
    {
        var crm = fixture.NewTenant();
        var now = DateTimeOffset.UtcNow;
        var survivor = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Sam", "email": "sam@x.com" }"""))).Id;
        var merged = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Sam", "email": "sam@y.com" }"""))).Id;
        await crm.SetConsentAsync(survivor, new ConsentChange { Purpose = "newsletter", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "survivor form", At = now.AddDays(-3) });
        await crm.SetConsentAsync(merged, new ConsentChange { Purpose = "newsletter", Channel = Channels.Email, Address = "sam@y.com", Status = ConsentStatus.Withdrawn, Source = "unsubscribe link", Proof = "clicked", At = now.AddDays(-1) });
        await crm.SetConsentAsync(merged, new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "old form", At = now.AddDays(-5) });
        await crm.SetConsentAsync(survivor, new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Status = ConsentStatus.Withdrawn, Source = "phone call", At = now.AddDays(-2) });

        var result = await crm.MergeAsync(RecordTypes.Contact, survivor, merged);
        Assert.Equal(1, result.ConsentTaken);

        // The merged contact's later withdrawal holds for its address, with its source and proof.
        var newsletter = await crm.MayContactAsync(survivor, "sam@y.com", "newsletter", Channels.Email);
        Assert.False(newsletter.Allowed);
        Assert.Equal(ConsentStatus.Withdrawn, newsletter.Status);
        Assert.Equal("unsubscribe link", newsletter.DecidingEntry!.Source);
        Assert.Equal("clicked", newsletter.DecidingEntry.Proof);
        Assert.True((await crm.MayContactAsync(survivor, "sam@x.com", "newsletter", Channels.Email)).Allowed);

        // The survivor's later withdrawal beats the merged contact's older grant, also for the address that moved.
        var marketing = await crm.MayContactAsync(survivor, "sam@y.com", "marketing", Channels.Email);
        Assert.False(marketing.Allowed);
        Assert.Equal("phone call", marketing.DecidingEntry!.Source);
    }

    [Fact]
    public async Task An_interrupted_merge_resumes_and_does_no_step_twice()
    {
        var s = await SetupAsync();
        var second = (await s.Crm.CreateAsync(RecordTypes.Interaction, Obj("""{ "kind": "note", "subject": "Second" }"""))).Id;
        await s.Crm.LinkAsync(RecordTypes.Interaction, second, new RecordLink(RecordTypes.Contact, s.Merged));
        var grains = fixture.Engine.Services.GetRequiredService<IGrainFactory>();

        // A first run dies after moving one record, a second one just before the survivor takes in the merged contact.
        var moves = 0;
        var first = new ContactMerge(grains, fixture.Engine.Store, TimeProvider.System, s.Crm.Tenant)
        {
            BeforeStep = step => step.StartsWith("move ", StringComparison.Ordinal) && ++moves == 2 ? throw new IOException("node died") : Task.CompletedTask,
        };
        await Assert.ThrowsAsync<IOException>(() => first.RunAsync(s.Survivor, s.Merged, new WriteOptions { Actor = Actor.User("tester") }));
        var secondRun = new ContactMerge(grains, fixture.Engine.Store, TimeProvider.System, s.Crm.Tenant)
        {
            BeforeStep = step => step == "absorb" ? throw new IOException("node died") : Task.CompletedTask,
        };
        await Assert.ThrowsAsync<IOException>(() => secondRun.RunAsync(s.Survivor, s.Merged, new WriteOptions { Actor = Actor.User("tester") }));
        Assert.Equal(s.Survivor, (await s.Crm.GetIncludingDeletedAsync(RecordTypes.Contact, s.Merged))!.MergedInto);

        // (The engine's own completion of started merges may run alongside; the steps stay single either way.)
        var result = await s.Crm.MergeAsync(RecordTypes.Contact, s.Survivor, s.Merged);
        Assert.Equal("Countess", result.Survivor.GetString("title"));
        Assert.Equal(s.Survivor, (await s.Crm.FindAsync(RecordTypes.Contact, "email", "ada.b@y.com"))!.Id);

        // Each step happened once.
        foreach (var id in new[] { s.Interaction, second })
        {
            var history = (await s.Crm.GetHistoryAsync(RecordTypes.Interaction, id)).Items;
            Assert.Single(history, e => e.Type == EventTypes.RecordUnlinked);
            Assert.Single(history, e => e.Type == EventTypes.RecordLinked && e.PayloadJson.Contains(s.Survivor, StringComparison.Ordinal));
        }

        Assert.Single((await s.Crm.GetHistoryAsync(RecordTypes.Contact, s.Merged)).Items, e => e.Type == EventTypes.RecordMergedInto);
        Assert.Single((await s.Crm.GetHistoryAsync(RecordTypes.Contact, s.Survivor)).Items, e => e.Type == EventTypes.RecordMerged);
        var stream = await fixture.Engine.Store.ReadStreamAsync(s.Crm.Tenant, ContactMerge.StreamOf(s.Merged));
        Assert.Equal([EventTypes.MergeStarted, EventTypes.MergeCompleted], stream.Select(e => e.Type));

        // Asking again answers the finished merge and writes nothing.
        var again = await s.Crm.MergeAsync(RecordTypes.Contact, s.Survivor, s.Merged);
        Assert.Equal(result.Survivor.Version, again.Survivor.Version);
        Assert.Equal(result.Conflicts, again.Conflicts);
    }

    [Fact]
    public async Task An_interrupted_merge_is_finished_by_the_engine_without_being_asked_again()
    {
        var s = await SetupAsync();
        var grains = fixture.Engine.Services.GetRequiredService<IGrainFactory>();
        var crashed = new ContactMerge(grains, fixture.Engine.Store, TimeProvider.System, s.Crm.Tenant)
        {
            BeforeStep = step => step == "tombstone" ? throw new IOException("node died") : Task.CompletedTask,
        };
        await Assert.ThrowsAsync<IOException>(() => crashed.RunAsync(s.Survivor, s.Merged, new WriteOptions { Actor = Actor.User("tester") }));

        await Eventually.TrueAsync(async () =>
            (await fixture.Engine.Store.ReadStreamAsync(s.Crm.Tenant, ContactMerge.StreamOf(s.Merged))).Any(e => e.Type == EventTypes.MergeCompleted));
        Assert.Equal(s.Survivor, (await s.Crm.GetAsync(RecordTypes.Contact, s.Merged))!.Id);
        Assert.Equal("Countess", (await s.Crm.GetAsync(RecordTypes.Contact, s.Survivor))!.GetString("title"));
        var merge = Assert.Single((await s.Crm.GetHistoryAsync(RecordTypes.Contact, s.Survivor)).Items, e => e.Type == EventTypes.RecordMerged);
        Assert.Equal(Actor.User("tester"), merge.Actor);
    }

    [Fact]
    public async Task An_email_claimed_by_another_contact_during_the_merge_is_left_out_and_listed()
    {
        var s = await SetupAsync();
        var grains = fixture.Engine.Services.GetRequiredService<IGrainFactory>();
        IContactGrain Contact(string id) => grains.GetGrain<IContactGrain>(RecordIds.GrainKey(s.Crm.Tenant, id));

        // The two halves of the merge, with a sign-up in between that takes the email the tombstone released.
        await Contact(s.Merged).MarkMergedAsync(s.Survivor, new WriteOptions { Actor = Actor.User("tester") });
        var newcomer = (await s.Crm.CreateAsync(RecordTypes.Contact, Obj("""{ "email": "ada.b@y.com" }"""))).Id;
        var summary = await Contact(s.Survivor).AbsorbMergedAsync(s.Merged, new WriteOptions { Actor = Actor.User("tester") });

        Assert.Contains("\"discarded\":\"ada.b@y.com\"", summary);
        var survivor = (await s.Crm.GetAsync(RecordTypes.Contact, s.Survivor))!;
        Assert.Equal(["ada@x.com"], survivor.Get("emails")!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("Countess", survivor.GetString("title"));
        Assert.Equal(newcomer, (await s.Crm.FindAsync(RecordTypes.Contact, "email", "ada.b@y.com"))!.Id);
    }

    [Fact]
    public async Task A_validate_rule_that_would_refuse_the_take_over_cannot_leave_a_merge_half_done()
    {
        var s = await SetupAsync();
        // Users may not change a contact's title once set, nor set one on an update: the merge's take-over sets it.
        await s.Crm.Rules.CreateAsync(new Crm.Engine.Rules.RuleDraft
        {
            Id = "title-locked",
            Source = """export default { on: "contact.updated", stage: "validate", fields: ["title"], then: (e, act) => act.reject("titles are set on creation", "title") };""",
        });
        await Assert.ThrowsAsync<Crm.Engine.Rules.RuleRejectedException>(() => s.Crm.UpdateAsync(RecordTypes.Contact, s.Survivor, Obj("""{ "title": "Dr" }""")));

        await s.Crm.MergeAsync(RecordTypes.Contact, s.Survivor, s.Merged);

        var survivor = (await s.Crm.GetAsync(RecordTypes.Contact, s.Survivor))!;
        Assert.Equal("Countess", survivor.GetString("title"));
        Assert.Contains((await s.Crm.GetHistoryAsync(RecordTypes.Contact, s.Survivor)).Items, e => e.Type == "record.merged");
    }

    [Fact]
    public async Task Merges_into_itself_into_a_merged_record_or_of_another_type_are_refused()
    {
        var crm = fixture.NewTenant();
        var a = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "A" }"""))).Id;
        var b = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "B" }"""))).Id;
        var c = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "C" }"""))).Id;

        var self = await Assert.ThrowsAsync<ValidationException>(() => crm.MergeAsync(RecordTypes.Contact, a, a));
        Assert.Equal("mergeId", self.Errors.Single().Field);
        var type = await Assert.ThrowsAsync<ValidationException>(() => crm.MergeAsync(RecordTypes.Account, a, b));
        Assert.Equal("type", type.Errors.Single().Field);
        var missing = await Assert.ThrowsAsync<ValidationException>(() => crm.MergeAsync(RecordTypes.Contact, a, "nobody"));
        Assert.Equal("mergeId", missing.Errors.Single().Field);

        await crm.MergeAsync(RecordTypes.Contact, a, b);
        var again = await Assert.ThrowsAsync<MergeRefusedException>(() => crm.MergeAsync(RecordTypes.Contact, c, b));
        Assert.Equal(("mergeId", a), (again.Field, again.MergedInto));
        var into = await Assert.ThrowsAsync<MergeRefusedException>(() => crm.MergeAsync(RecordTypes.Contact, b, c));
        Assert.Equal(("id", a), (into.Field, into.MergedInto));
        await Assert.ThrowsAsync<MergeRefusedException>(() => crm.RestoreAsync(RecordTypes.Contact, b));

        // A chain of merges redirects to the last survivor.
        await crm.MergeAsync(RecordTypes.Contact, c, a);
        Assert.Equal(c, (await crm.GetAsync(RecordTypes.Contact, b))!.Id);
    }
}
