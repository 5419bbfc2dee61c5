using System.Text.Json.Nodes;
using Crm.Engine.Storage;

namespace Crm.Engine.Tests;

/// <summary>
/// While cluster membership is unstable a record can briefly have two activations. Each appends at the version it
/// loaded, so the second to write is refused by the store, reloads and applies its change on top: nothing is overwritten.
/// </summary>
public sealed class DuplicateActivationTests(EngineFixture fixture)
{
    [Fact]
    public async Task A_write_from_a_second_activation_is_not_overwritten_by_the_first()
    {
        var crm = fixture.NewTenant();
        var contact = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Ada" });

        // The other activation (on another node) changes the title at version 1, behind this activation's back.
        await fixture.Engine.Store.AppendAsync(new AppendRequest
        {
            Tenant = crm.Tenant,
            StreamId = StreamIds.ForRecord(RecordTypes.Contact, contact.Id),
            ExpectedVersion = 1,
            Events =
            [
                new NewEvent
                {
                    EventId = Guid.NewGuid(),
                    Type = "record.updated",
                    PayloadJson = """{"changes":{"title":"Countess"},"previous":{"title":null}}""",
                    Time = DateTimeOffset.UtcNow,
                    Actor = Actor.User("other-node"),
                },
            ],
        }, TestContext.Current.CancellationToken);

        // This activation still holds version 1; its append is refused, it reloads and applies the change on top.
        var updated = await crm.UpdateAsync(RecordTypes.Contact, contact.Id, new JsonObject { ["company"] = "Analytical Engines" });

        Assert.Equal(3, updated.Version);
        Assert.Equal("Countess", (string?)updated.Fields["title"]);
        Assert.Equal("Analytical Engines", (string?)updated.Fields["company"]);
        var history = await crm.GetHistoryAsync(RecordTypes.Contact, contact.Id);
        Assert.Equal([1L, 2L, 3L], history.Items.Select(e => e.Version));
        Assert.Equal(Actor.User("other-node"), history.Items[1].Actor);

        // A caller who saw version 1 is refused instead: the change it based its edit on is gone.
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            crm.UpdateAsync(RecordTypes.Contact, contact.Id, new JsonObject { ["title"] = "Lady" }, new WriteOptions { ExpectedVersion = 1 }));
    }
}
