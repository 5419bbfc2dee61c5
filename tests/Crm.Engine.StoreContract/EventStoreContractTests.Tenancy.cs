using System.Text.Json.Nodes;
using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    private const string OtherTenant = "globex";

    [Fact]
    public async Task The_same_stream_id_in_two_tenants_is_two_streams()
    {
        var store = await NewStoreAsync();

        await store.AppendAsync(Request("contact/c-1", 0, events: 2), Ct);
        await store.AppendAsync(Request("contact/c-1", 0, events: 1, tenant: OtherTenant), Ct);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync(Request("contact/c-1", 2, tenant: OtherTenant), Ct));

        Assert.Equal(2, (await store.ReadStreamAsync(Tenant, "contact/c-1", cancellationToken: Ct)).Count);
        var other = await store.ReadStreamAsync(OtherTenant, "contact/c-1", cancellationToken: Ct);
        Assert.Equal(OtherTenant, Assert.Single(other).Tenant);
    }

    [Fact]
    public async Task Reads_never_cross_tenants()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", email: "ada@example.com", tags: ["vip"]));
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", email: "ada@example.com", tags: ["vip"]), tenant: OtherTenant);
        await SaveAsync(store, Contact("eve", "Eve", "Lovelace"), tenant: OtherTenant);
        await SaveAsync(store, Row(RecordTypes.Interaction, "call-1", new JsonObject { ["kind"] = "call" }, links: [new RecordLink(RecordTypes.Contact, "ada")]), tenant: OtherTenant);

        Assert.Equal(["ada"], await IdsAsync(store, new RecordQuery()));
        Assert.Equal(["ada"], await IdsAsync(store, new RecordQuery { Text = "lovelace" }));
        Assert.Equal(["ada"], await IdsAsync(store, new RecordQuery { Filter = Filter.Eq("lastName", "Lovelace") }));
        Assert.Equal(["ada", "eve"], await IdsAsync(store, new RecordQuery { Text = "lovelace" }, tenant: OtherTenant));
        Assert.Null(await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "eve", Ct));
        Assert.Null(await store.ReadModel.FindByUniqueKeyAsync("initech", new UniqueClaim("contact.email", "ada@example.com"), Ct));
        Assert.Empty(await IdsAsync(store, new RecordQuery(), RecordTypes.Interaction));

        var timeline = await store.ReadModel.TimelineAsync(Tenant, "contact/ada", null, 50, Ct);
        var item = Assert.Single(timeline.Items);
        Assert.Equal(Tenant, item.Tenant);
        Assert.Equal(2, (await store.ReadModel.TimelineAsync(OtherTenant, "contact/ada", null, 50, Ct)).Items.Count);
    }
}
