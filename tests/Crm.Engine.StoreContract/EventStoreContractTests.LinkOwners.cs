using System.Text.Json.Nodes;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task Link_owners_are_the_records_holding_a_link_to_the_target_in_this_tenant()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace"));
        var ada = new RecordLink(RecordTypes.Contact, "ada");
        await SaveAsync(store, Row(RecordTypes.Task, "task-1", new JsonObject { ["title"] = "Call" }, links: [ada]));
        await SaveAsync(store, Row(RecordTypes.Account, "acme", new JsonObject { ["name"] = "Acme" }, links: [new RecordLink(RecordTypes.Contact, "ada", "employee")]));
        await SaveAsync(store, Row(RecordTypes.Interaction, "call-1", new JsonObject { ["kind"] = "call" }, links: [ada]));
        await SaveAsync(store, Row(RecordTypes.Interaction, "call-2", new JsonObject { ["kind"] = "call" }, links: [new RecordLink(RecordTypes.Contact, "bob")]));

        Assert.Equal(["account/acme", "interaction/call-1", "task/task-1"], await store.ReadModel.LinkOwnersAsync(Tenant, "contact/ada", 10, Ct));
        Assert.Equal(["account/acme", "interaction/call-1"], await store.ReadModel.LinkOwnersAsync(Tenant, "contact/ada", 2, Ct));
        Assert.Empty(await store.ReadModel.LinkOwnersAsync(OtherTenant, "contact/ada", 10, Ct));

        // A link removed from its owner's row no longer counts.
        await SaveAsync(store, Row(RecordTypes.Interaction, "call-1", new JsonObject { ["kind"] = "call" }, links: [], version: 2), expectedVersion: 1);
        Assert.Equal(["account/acme", "task/task-1"], await store.ReadModel.LinkOwnersAsync(Tenant, "contact/ada", 10, Ct));
    }
}
