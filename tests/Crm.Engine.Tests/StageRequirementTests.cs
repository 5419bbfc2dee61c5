using System.Text.Json.Nodes;
using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

public sealed class StageRequirementTests(EngineFixture fixture)
{
    private static readonly Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>> CustomersNeedEmailAndAccount = new()
    {
        [RecordTypes.Contact] = new Dictionary<string, IReadOnlyList<string>> { ["customer"] = ["email", "accountId"] },
        [RecordTypes.Deal] = new Dictionary<string, IReadOnlyList<string>> { ["won"] = ["amount", "closeDate"] },
    };

    [Fact]
    public async Task Moving_into_a_stage_without_its_required_fields_is_refused_naming_each_and_writes_nothing()
    {
        var crm = fixture.NewTenant();
        await crm.ChangeSettingsAsync(new GeneralSettingsChange { RequiredFields = CustomersNeedEmailAndAccount });
        var contact = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Cleo" }"""));

        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.UpdateAsync(RecordTypes.Contact, contact.Id, Obj("""{ "lifecycleStage": "customer" }""")));
        Assert.Equal(["email", "accountId"], ex.Errors.Select(e => e.Field));
        Assert.Contains("stage 'customer'", ex.Errors[0].Message);
        var unchanged = (await crm.GetAsync(RecordTypes.Contact, contact.Id))!;
        Assert.Equal(contact.Version, unchanged.Version);
        Assert.Equal("lead", unchanged.GetString("lifecycleStage"));

        // A create straight into the stage is held to the same rule; with the fields it passes.
        await Assert.ThrowsAsync<ValidationException>(() => crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Dan", "lifecycleStage": "customer", "email": "dan@x.com" }""")));
        var customer = await crm.UpdateAsync(RecordTypes.Contact, contact.Id, Obj("""{ "lifecycleStage": "customer", "email": "cleo@x.com", "accountId": "acc1" }"""));
        Assert.Equal("customer", customer.GetString("lifecycleStage"));

        // Editing a record in the stage may not drop a required field.
        var clear = await Assert.ThrowsAsync<ValidationException>(() => crm.UpdateAsync(RecordTypes.Contact, contact.Id, new JsonObject { ["accountId"] = null }));
        Assert.Equal("accountId", clear.Errors.Single().Field);
        Assert.Equal("Cleo Renamed", (await crm.UpdateAsync(RecordTypes.Contact, contact.Id, Obj("""{ "firstName": "Cleo Renamed" }"""))).GetString("firstName"));
    }

    [Fact]
    public async Task A_record_in_the_stage_before_the_rule_may_change_other_fields_but_not_clear_a_required_one()
    {
        var crm = fixture.NewTenant();
        var old = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Olga", "email": "olga@x.com", "lifecycleStage": "customer" }"""));
        await crm.ChangeSettingsAsync(new GeneralSettingsChange { RequiredFields = CustomersNeedEmailAndAccount });

        Assert.Equal("CTO", (await crm.UpdateAsync(RecordTypes.Contact, old.Id, Obj("""{ "title": "CTO" }"""))).GetString("title"));
        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.UpdateAsync(RecordTypes.Contact, old.Id, new JsonObject { ["emails"] = new JsonArray() }));
        Assert.Equal("email", ex.Errors.Single().Field);
    }

    [Fact]
    public async Task Deal_stages_have_their_own_required_fields()
    {
        var crm = fixture.NewTenant();
        await crm.ChangeSettingsAsync(new GeneralSettingsChange { RequiredFields = CustomersNeedEmailAndAccount });
        var deal = await crm.CreateAsync(RecordTypes.Deal, Obj("""{ "name": "Big one" }"""));
        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "won", "amount": 100 }""")));
        Assert.Equal("closeDate", ex.Errors.Single().Field);
        Assert.Equal("won", (await crm.UpdateAsync(RecordTypes.Deal, deal.Id, Obj("""{ "stage": "won", "amount": 100, "closeDate": "2026-01-31" }"""))).GetString("stage"));
    }

    [Fact]
    public async Task Rules_naming_unknown_types_stages_or_fields_are_refused()
    {
        var crm = fixture.NewTenant();
        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.ChangeSettingsAsync(new GeneralSettingsChange
        {
            RequiredFields = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>>
            {
                [RecordTypes.Contact] = new Dictionary<string, IReadOnlyList<string>> { ["vip"] = ["email"], ["customer"] = ["shoeSize"] },
                [RecordTypes.User] = new Dictionary<string, IReadOnlyList<string>> { ["x"] = ["name"] },
            },
        }));
        Assert.Equal(["requiredFields.contact.vip", "requiredFields.contact.customer", "requiredFields.user"], ex.Errors.Select(e => e.Field));
        Assert.Empty((await crm.GetSettingsAsync()).RequiredFields);
    }
}
