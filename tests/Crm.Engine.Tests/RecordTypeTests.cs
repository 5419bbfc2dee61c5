using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

public sealed class RecordTypeTests(EngineFixture fixture)
{
    [Fact]
    public async Task Deal_keeps_amount_exactly_and_records_when_each_stage_was_entered()
    {
        var crm = fixture.NewTenant();
        var deal = await crm.CreateAsync(RecordTypes.Deal, Obj("""{ "name": "Big one", "amount": 12345678.91, "closeDate": "2030-06-30" }"""));
        Assert.Equal(12345678.91m, deal.Fields["amount"]!.GetValue<decimal>());
        Assert.Equal("USD", deal.GetString("currency"));
        Assert.Equal("prospecting", deal.GetString("stage"));
        Assert.Equal(10m, deal.Fields["probability"]!.GetValue<decimal>());

        var moved = await crm.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "proposal" }"""));
        Assert.Equal(50m, moved.Fields["probability"]!.GetValue<decimal>());
        var history = moved.Fields["stageHistory"]!.AsArray();
        Assert.Equal(["prospecting", "proposal"], history.Select(h => h!["stage"]!.GetValue<string>()));
        Assert.Equal(history[1]!["enteredAt"]!.GetValue<string>(), moved.GetString("stageEnteredAt"));
        var types = (await crm.GetHistoryAsync(RecordTypes.Deal, deal.Id)).Items.Select(e => e.Type);
        Assert.Equal(["record.created", "deal.stageChanged", "record.updated", "deal.stageChanged"], types);
    }

    [Fact]
    public async Task Deal_with_an_unknown_stage_or_pipeline_is_rejected()
    {
        var crm = fixture.NewTenant();
        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.CreateAsync(RecordTypes.Deal, Obj("""{ "name": "x", "stage": "nope" }""")));
        Assert.Equal("stage", ex.Errors[0].Field);
        ex = await Assert.ThrowsAsync<ValidationException>(() => crm.CreateAsync(RecordTypes.Deal, Obj("""{ "name": "x", "pipeline": "nope" }""")));
        Assert.Equal("pipeline", ex.Errors[0].Field);
        ex = await Assert.ThrowsAsync<ValidationException>(() => crm.CreateAsync(RecordTypes.Deal, Obj("""{ "name": "x", "amount": "lots" }""")));
        Assert.Equal("amount", ex.Errors[0].Field);
    }

    [Fact]
    public async Task Tenant_pipelines_define_the_stages_deals_may_use()
    {
        var crm = fixture.NewTenant();
        await crm.DefinePipelineAsync(new Pipeline
        {
            Id = "renewals",
            Name = "Renewals",
            Stages = [new() { Id = "due", Name = "Due", Probability = 60 }, new() { Id = "renewed", Name = "Renewed", Probability = 100, IsWon = true }],
        });
        var deal = await crm.CreateAsync(RecordTypes.Deal, Obj("""{ "name": "Renewal 2031", "pipeline": "renewals" }"""));
        Assert.Equal("due", deal.GetString("stage"));
        await Assert.ThrowsAsync<ValidationException>(() => crm.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "proposal" }""")));
    }

    [Fact]
    public async Task Case_tracks_first_response_and_resolution()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Case, Obj("""{ "subject": "Printer on fire", "priority": "urgent" }"""));
        Assert.Equal("new", c.GetString("status"));
        Assert.Null(c.Fields["firstResponseAt"]);

        var open = await crm.UpdateAsync(RecordTypes.Case, c.Id, Obj("""{ "status": "open" }"""));
        Assert.NotNull(open.Fields["firstResponseAt"]);
        var resolved = await crm.UpdateAsync(RecordTypes.Case, c.Id, Obj("""{ "status": "resolved" }"""));
        Assert.NotNull(resolved.Fields["resolvedAt"]);
        Assert.True(resolved.Fields["resolutionMinutes"]!.GetValue<decimal>() >= 0);
        var reopened = await crm.UpdateAsync(RecordTypes.Case, c.Id, Obj("""{ "status": "open" }"""));
        Assert.Null(reopened.Fields["resolvedAt"]);
    }

    [Fact]
    public async Task Account_links_contacts_with_a_role()
    {
        var crm = fixture.NewTenant();
        var account = await crm.CreateAsync(RecordTypes.Account, Obj("""{ "name": "Initech", "domain": "initech.test" }"""));
        var contact = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Bill" }"""));
        await crm.LinkAsync(RecordTypes.Account, account.Id, new RecordLink(RecordTypes.Contact, contact.Id, "Decision maker"));
        var relinked = await crm.LinkAsync(RecordTypes.Account, account.Id, new RecordLink(RecordTypes.Contact, contact.Id, "Champion"));
        Assert.Equal("Champion", Assert.Single(relinked.Links).Role);
        var unlinked = await crm.UnlinkAsync(RecordTypes.Account, account.Id, RecordTypes.Contact, contact.Id);
        Assert.Empty(unlinked.Links);
    }

    [Fact]
    public async Task Links_outside_the_CRM_pairings_are_refused_naming_the_target_type()
    {
        var crm = fixture.NewTenant();
        var account = await crm.CreateAsync(RecordTypes.Account, Obj("""{ "name": "Initech" }"""));
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            crm.LinkAsync(RecordTypes.Account, account.Id, new RecordLink(RecordTypes.User, "admin")));
        Assert.Equal("targetType", ex.Errors[0].Field);
        Assert.Contains("contact", ex.Errors[0].Message);
        Assert.Empty((await crm.GetAsync(RecordTypes.Account, account.Id))!.Links);
    }

    [Fact]
    public async Task Every_record_type_can_be_created_read_and_listed()
    {
        var crm = fixture.NewTenant();
        var bodies = new Dictionary<string, string>
        {
            [RecordTypes.Contact] = """{ "firstName": "A" }""",
            [RecordTypes.Account] = """{ "name": "A" }""",
            [RecordTypes.Deal] = """{ "name": "A" }""",
            [RecordTypes.Case] = """{ "subject": "A" }""",
            [RecordTypes.Interaction] = """{ "kind": "meeting", "subject": "A" }""",
            [RecordTypes.Task] = """{ "title": "A" }""",
            [RecordTypes.User] = """{ "name": "A", "email": "a@x.com" }""",
            [RecordTypes.Team] = """{ "name": "A" }""",
            [RecordTypes.Queue] = """{ "name": "A" }""",
        };
        foreach (var (type, body) in bodies)
        {
            var created = await crm.CreateAsync(type, Obj(body));
            Assert.Equal(type, created.Type);
            Assert.NotNull(await crm.GetAsync(type, created.Id));
            Assert.Single((await crm.QueryAsync(type, new RecordQuery())).Items);
        }
    }

    [Fact]
    public async Task Filters_and_sorting_work_over_fields()
    {
        var crm = fixture.NewTenant();
        foreach (var (name, amount, stage) in new[] { ("a", 100m, "proposal"), ("b", 5000m, "proposal"), ("c", 20000m, "negotiation") })
        {
            await crm.CreateAsync(RecordTypes.Deal, new System.Text.Json.Nodes.JsonObject { ["name"] = name, ["amount"] = amount, ["stage"] = stage });
        }

        var big = await crm.QueryAsync(RecordTypes.Deal, new RecordQuery
        {
            Filter = Filter.Compare("amount", FilterOperator.Ge, 1000) & Filter.Eq("stage", "proposal"),
        });
        Assert.Equal("b", Assert.Single(big.Items).GetString("name"));

        var sorted = await crm.QueryAsync(RecordTypes.Deal, new RecordQuery { SortBy = "amount", Descending = true });
        Assert.Equal(["c", "b", "a"], sorted.Items.Select(d => d.GetString("name")));
    }
}
