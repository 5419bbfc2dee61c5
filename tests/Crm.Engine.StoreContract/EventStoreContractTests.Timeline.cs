using System.Text.Json.Nodes;
using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task Timeline_includes_interactions_linked_to_the_record_newest_first()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace"));
        await SaveAsync(store, Contact("bob", "Bob", "Babbage"));
        var ada = new RecordLink(RecordTypes.Contact, "ada");
        await SaveAsync(store, Row(RecordTypes.Interaction, "call-1", new JsonObject { ["kind"] = "call" }, links: [ada]));
        await SaveAsync(store, Row(RecordTypes.Task, "task-1", new JsonObject { ["title"] = "Follow up" }, links: [ada, new RecordLink(RecordTypes.Contact, "bob")]));
        await SaveAsync(store, Row(RecordTypes.Interaction, "call-2", new JsonObject { ["kind"] = "call" }, links: [new RecordLink(RecordTypes.Contact, "bob")]));
        await SaveAsync(store, Contact("ada", "Ada", "King", version: 2), expectedVersion: 1);
        await SaveAsync(store, Row(RecordTypes.Interaction, "call-1", new JsonObject { ["kind"] = "call", ["outcome"] = "done" }, links: [ada], version: 2), expectedVersion: 1);

        var timeline = await store.ReadModel.TimelineAsync(Tenant, "contact/ada", null, 50, Ct);

        Assert.Equal(
            ["interaction/call-1", "contact/ada", "task/task-1", "interaction/call-1", "contact/ada"],
            timeline.Items.Select(e => e.StreamId));
        Assert.True(timeline.Items.Zip(timeline.Items.Skip(1)).All(pair => pair.First.Position > pair.Second.Position));
        Assert.Null(timeline.Next);
    }

    [Fact]
    public async Task Timeline_pages_newest_first_with_a_cursor()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace"));
        for (var i = 0; i < 12; i++)
        {
            await SaveAsync(store, Row(RecordTypes.Interaction, $"note-{i}", new JsonObject { ["kind"] = "note" }, links: [new RecordLink(RecordTypes.Contact, "ada")]));
        }

        var positions = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await store.ReadModel.TimelineAsync(Tenant, "contact/ada", cursor, 5, Ct);
            Assert.True(page.Items.Count <= 5);
            positions.AddRange(page.Items.Select(e => e.Position));
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(13, positions.Count);
        Assert.Equal(positions.OrderDescending(), positions);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Timeline_leaves_out_records_that_are_not_activity()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace"));

        // An account owns its links to contacts; its own changes are not part of the contact's history.
        await SaveAsync(store, Row(RecordTypes.Account, "acme", new JsonObject { ["name"] = "Acme" }, links: [new RecordLink(RecordTypes.Contact, "ada", "employee")]));
        await SaveAsync(store, Row(RecordTypes.Deal, "big", new JsonObject { ["name"] = "Big" }, links: [new RecordLink(RecordTypes.Contact, "ada")]));
        await SaveAsync(store, Row(RecordTypes.Case, "k-1", new JsonObject { ["subject"] = "Broken" }, links: [new RecordLink(RecordTypes.Contact, "ada")]));

        var timeline = await store.ReadModel.TimelineAsync(Tenant, "contact/ada", null, 50, Ct);

        Assert.Equal(["case/k-1", "deal/big", "contact/ada"], timeline.Items.Select(e => e.StreamId));
    }
}
