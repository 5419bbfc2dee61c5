using System.Text.Json.Nodes;
using Crm.Engine.Rules;

namespace Crm.Engine.Tests;

/// <summary>ICrmClient.CreateManyAsync: many new records at once, each as a single create would make it.</summary>
public sealed class BulkCreateTests(EngineFixture fixture)
{
    private static JsonObject Ada(string email) => new()
    {
        ["firstName"] = "  Ada ",
        ["lastName"] = "Lovelace",
        ["email"] = email,
        ["phone"] = "+44 20 7946 0958",
        ["tags"] = new JsonArray("vip", "analyst"),
    };

    [Fact]
    public async Task A_bulk_created_contact_is_the_same_as_a_single_create()
    {
        var crm = fixture.NewTenant();
        var options = new WriteOptions { CorrelationId = "import-7" };
        var single = await crm.CreateAsync(RecordTypes.Contact, Ada(" Ada.Single@Example.COM "), "single-1", options);
        var results = await crm.CreateManyAsync(RecordTypes.Contact, [Ada(" Ada.Bulk@Example.COM ")], ["bulk-1"], options);

        var bulk = Assert.Single(results).Record;
        Assert.NotNull(bulk);
        Assert.Equal("bulk-1", bulk.Id);
        Assert.Equal(1, bulk.Version);
        Assert.Equal("ada.bulk@example.com", (string?)bulk.Fields["email"]);
        var expected = (JsonObject)single.Fields.DeepClone();
        var actual = (JsonObject)bulk.Fields.DeepClone();
        foreach (var differs in new[] { "email", "emails", "createdAt", "updatedAt" })
        {
            expected.Remove(differs);
            actual.Remove(differs);
        }

        Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
        Assert.Equal("Ada", (string?)bulk.Fields["firstName"]);

        var read = await crm.GetAsync(RecordTypes.Contact, "bulk-1");
        Assert.Equal(bulk.Fields.ToJsonString(), read!.Fields.ToJsonString());

        var history = Assert.Single((await crm.GetHistoryAsync(RecordTypes.Contact, "bulk-1")).Items);
        var singleHistory = Assert.Single((await crm.GetHistoryAsync(RecordTypes.Contact, "single-1")).Items);
        Assert.Equal(singleHistory.Type, history.Type);
        Assert.Equal(Actor.User("tester"), history.Actor);
        Assert.Equal("import-7", history.CorrelationId);

        var byEmail = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Filter = Filter.Eq("email", "ada.bulk@example.com") });
        Assert.Equal("bulk-1", Assert.Single(byEmail.Items).Id);
        var search = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = "Lovelace" });
        Assert.Equal(["bulk-1", "single-1"], search.Items.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task Validate_and_enrich_rules_apply_to_each_row()
    {
        var crm = fixture.NewTenant();
        await crm.Rules.CreateAsync(new RuleDraft
        {
            Id = "email-required",
            Source = """export default { on: "contact.created", stage: "validate", when: e => !e.after.email, then: (e, act) => act.reject("Email is required", "email") };""",
        });
        await crm.Rules.CreateAsync(new RuleDraft
        {
            Id = "welcome",
            Source = """export default { on: "contact.created", stage: "enrich", then: (e, act) => { act.addTag("imported"); act.score(10, "new"); } };""",
        });

        var results = await crm.CreateManyAsync(RecordTypes.Contact,
            [new JsonObject { ["email"] = "a@example.com" }, new JsonObject { ["firstName"] = "No mail" }, new JsonObject { ["email"] = "b@example.com" }]);

        var refused = Assert.IsType<RuleRejectedException>(results[1].Error);
        Assert.Equal("email", Assert.Single(refused.Errors).Field);
        Assert.Null(results[1].Record);
        foreach (var created in new[] { results[0].Record!, results[2].Record! })
        {
            Assert.Equal(["imported"], created.Fields["tags"]!.AsArray().Select(t => (string?)t));
            Assert.Equal(10, (int)created.Fields["score"]!);
            var events = (await crm.GetHistoryAsync(RecordTypes.Contact, created.Id)).Items;
            var enriched = events.Where(e => e.Actor == Actor.Rule("welcome", 1)).ToList();
            Assert.NotEmpty(enriched);
            Assert.All(enriched, e => Assert.Equal(events[0].EventId, RuleCausation.TriggerEventId(e.CausationId)));
        }

        Assert.Equal(2, (await crm.QueryAsync(RecordTypes.Contact, new RecordQuery())).Items.Count);
    }

    [Fact]
    public async Task A_taken_email_or_id_fails_only_its_row()
    {
        var crm = fixture.NewTenant();
        var holder = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["email"] = "taken@example.com" }, "holder");

        var results = await crm.CreateManyAsync(RecordTypes.Contact,
        [
            new JsonObject { ["email"] = "twice@example.com", ["firstName"] = "First" },
            new JsonObject { ["email"] = "TAKEN@example.com" },
            new JsonObject { ["email"] = "twice@example.com", ["firstName"] = "Second" },
            new JsonObject { ["email"] = "fresh@example.com" },
            new JsonObject { ["email"] = "other@example.com" },
            new JsonObject { ["email"] = "not an email" },
        ], [null, null, null, null, "holder", null]);

        var taken = Assert.IsType<DuplicateRecordException>(results[1].Error);
        Assert.Equal(holder.Id, taken.ExistingId);
        Assert.Single(new[] { results[0], results[2] }, r => r.Record is not null);
        Assert.Single(new[] { results[0], results[2] }, r => r.Error is DuplicateRecordException);
        Assert.NotNull(results[3].Record);
        Assert.IsType<RecordExistsException>(results[4].Error);
        Assert.Equal("email", Assert.Single(Assert.IsType<ValidationException>(results[5].Error).Errors).Field);

        var stored = (await crm.QueryAsync(RecordTypes.Contact, new RecordQuery())).Items;
        Assert.Equal(3, stored.Count);
        Assert.Equal("taken@example.com", (string?)(await crm.GetAsync(RecordTypes.Contact, "holder"))!.Fields["email"]);
    }

    [Fact]
    public async Task A_bulk_created_record_is_then_changed_through_its_grain()
    {
        var crm = fixture.NewTenant();
        // Looked up while missing first: the grain must not keep answering "not found" once the bulk create made it.
        Assert.Null(await crm.GetAsync(RecordTypes.Contact, "later-1"));
        var created = Assert.Single(await crm.CreateManyAsync(RecordTypes.Contact, [new JsonObject { ["firstName"] = "Grace" }], ["later-1"])).Record!;

        Assert.Equal("Grace", (string?)(await crm.GetAsync(RecordTypes.Contact, "later-1"))!.Fields["firstName"]);
        var updated = await crm.UpdateAsync(RecordTypes.Contact, "later-1", new JsonObject { ["lastName"] = "Hopper" }, new WriteOptions { ExpectedVersion = created.Version });
        Assert.Equal(2, updated.Version);
        Assert.Equal("Grace", (string?)updated.Fields["firstName"]);
        Assert.Equal("Hopper", (string?)updated.Fields["lastName"]);
        await Assert.ThrowsAsync<RecordExistsException>(() => crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Again" }, "later-1"));
    }

    [Fact]
    public async Task Deals_and_accounts_are_created_in_bulk_too()
    {
        var crm = fixture.NewTenant();
        var deals = await crm.CreateManyAsync(RecordTypes.Deal, [new JsonObject { ["name"] = "Big one", ["amount"] = 5000 }, new JsonObject { ["amount"] = "lots" }]);
        Assert.Equal("Big one", (string?)deals[0].Record!.Fields["name"]);
        Assert.IsType<ValidationException>(deals[1].Error);

        var accounts = await crm.CreateManyAsync(RecordTypes.Account, [.. Enumerable.Range(0, 600).Select(i => new JsonObject { ["name"] = $"Account {i}" })]);
        Assert.All(accounts, a => Assert.NotNull(a.Record));
        Assert.Equal(600, accounts.Select(a => a.Record!.Id).Distinct().Count());
        Assert.Equal("Account 599", (string?)accounts[599].Record!.Fields["name"]);
        Assert.Equal(600, await crm.CountAsync(RecordTypes.Account, new RecordQuery()));
    }
}
