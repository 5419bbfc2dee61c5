using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task Unique_key_held_by_another_record_is_rejected_and_nothing_of_the_append_is_written()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", email: "ada@example.com"));
        await SaveAsync(store, Contact("bob", "Bob", "Babbage", email: "bob@example.com"));

        var create = await Assert.ThrowsAsync<DuplicateRecordException>(
            () => SaveAsync(store, Contact("eve", "Eve", "Copy", email: "ada@example.com")));
        var update = await Assert.ThrowsAsync<DuplicateRecordException>(
            () => SaveAsync(store, Contact("bob", "Bob", "Renamed", email: "ada@example.com", version: 2), expectedVersion: 1));

        foreach (var duplicate in new[] { create, update })
        {
            Assert.Equal("email", duplicate.Field);
            Assert.Equal("ada@example.com", duplicate.Value);
            Assert.Equal("ada", duplicate.ExistingId);
        }

        Assert.Empty(await store.ReadStreamAsync(Tenant, "contact/eve", cancellationToken: Ct));
        Assert.Null(await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "eve", Ct));
        Assert.Single(await store.ReadStreamAsync(Tenant, "contact/bob", cancellationToken: Ct));
        var bob = await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "bob", Ct);
        Assert.Contains("\"lastName\":\"Babbage\"", bob!.DataJson, StringComparison.Ordinal);
        Assert.Equal(1, bob.Version);
        Assert.Equal([new UniqueClaim("contact.email", "bob@example.com")], bob.UniqueClaims);
        Assert.Equal("bob", await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "bob@example.com"), Ct));
        Assert.Empty(await IdsAsync(store, new RecordQuery { Text = "Renamed" }));
        Assert.Empty(await IdsAsync(store, new RecordQuery { Text = "Eve" }));
    }

    [Fact]
    public async Task Racing_creates_claiming_the_same_key_leave_exactly_one_record()
    {
        var store = await NewStoreAsync();

        var attempts = Enumerable.Range(0, 20)
            .Select(i => SaveAsync(store, Contact($"c-{i}", "Same", "Person", email: "same@example.com")))
            .ToList();
        var outcomes = await Task.WhenAll(attempts.Select(async a =>
        {
            try
            {
                await a;
                return "ok";
            }
            catch (DuplicateRecordException)
            {
                return "duplicate";
            }
        }));

        Assert.Equal(1, outcomes.Count(o => o == "ok"));
        Assert.Equal(19, outcomes.Count(o => o == "duplicate"));
        var winner = Assert.Single(await IdsAsync(store, new RecordQuery()));
        Assert.Equal(winner, await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "same@example.com"), Ct));
        var streams = 0;
        for (var i = 0; i < 20; i++)
        {
            streams += (await store.ReadStreamAsync(Tenant, $"contact/c-{i}", cancellationToken: Ct)).Count;
        }

        Assert.Equal(1, streams);
    }

    [Fact]
    public async Task Changing_a_records_unique_key_frees_the_old_value()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", email: "old@example.com"));

        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", email: "new@example.com", version: 2), expectedVersion: 1);
        await SaveAsync(store, Contact("bob", "Bob", "Babbage", email: "old@example.com"));

        Assert.Equal("bob", await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "old@example.com"), Ct));
        Assert.Equal("ada", await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "new@example.com"), Ct));
        Assert.Null(await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "nobody@example.com"), Ct));
    }

    [Fact]
    public async Task Keeping_a_unique_key_on_update_is_not_a_conflict()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", email: "ada@example.com"));

        var result = await SaveAsync(store, Contact("ada", "Ada", "King", email: "ada@example.com", version: 2), expectedVersion: 1);

        Assert.Equal(2, result.NextVersion);
        var ada = await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "ada", Ct);
        Assert.Equal(2, ada!.Version);
        Assert.Equal([new UniqueClaim("contact.email", "ada@example.com")], ada.UniqueClaims);
    }

    [Fact]
    public async Task Different_kinds_of_key_with_the_same_value_do_not_collide()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace") with { UniqueClaims = [new UniqueClaim("contact.externalId", "X-1")] });

        await SaveAsync(store, Row(RecordTypes.Account, "acme", keys: [new UniqueClaim("account.externalId", "X-1")]));

        Assert.Equal("acme", await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("account.externalId", "X-1"), Ct));
        var duplicate = await Assert.ThrowsAsync<DuplicateRecordException>(
            () => SaveAsync(store, Contact("bob", "Bob", "B") with { UniqueClaims = [new UniqueClaim("contact.externalId", "X-1")] }));
        Assert.Equal("externalId", duplicate.Field);
        Assert.Equal("ada", duplicate.ExistingId);
    }
}
