using System.Text.Json.Nodes;
using Crm.Engine.Activity;
using Crm.Engine.Storage;
using Crm.Engine.Testing;

namespace Crm.Engine.Tests;

/// <summary>Linking an interaction to a record moves the record's <c>lastActivityAt</c> to when the interaction happened.</summary>
public sealed class LastActivityTests : IAsyncLifetime
{
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(cancellationToken: Ct);

    public ValueTask DisposeAsync() => _crm.DisposeAsync();

    /// <summary>Waits until the record's lastActivityAt is <paramref name="expected"/> (the test fails if it never is).</summary>
    private Task LastActivityBecomesAsync(string type, string id, string expected) =>
        Eventually.TrueAsync(async () => (string?)(await _crm.Client.GetAsync(type, id))!.Fields[LastActivityRollup.Field] == expected);

    [Fact]
    public async Task A_logged_call_sets_the_contacts_and_accounts_last_activity_to_when_it_happened()
    {
        var ada = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Ada" });
        var acme = await _crm.Client.CreateAsync(RecordTypes.Account, new JsonObject { ["name"] = "Acme" });
        var call = await _crm.Client.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "call", ["occurredAt"] = "2026-03-04T10:00:00Z" });
        await _crm.Client.LinkAsync(RecordTypes.Interaction, call.Id, new RecordLink(RecordTypes.Contact, ada.Id));
        await _crm.Client.LinkAsync(RecordTypes.Interaction, call.Id, new RecordLink(RecordTypes.Account, acme.Id));

        await LastActivityBecomesAsync(RecordTypes.Contact, ada.Id, "2026-03-04T10:00:00.0000000Z");
        await LastActivityBecomesAsync(RecordTypes.Account, acme.Id, "2026-03-04T10:00:00.0000000Z");

        // An older interaction logged later does not move it back.
        var note = await _crm.Client.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "note", ["occurredAt"] = "2026-01-01T00:00:00Z" });
        await _crm.Client.LinkAsync(RecordTypes.Interaction, note.Id, new RecordLink(RecordTypes.Contact, ada.Id));
        var meeting = await _crm.Client.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "meeting", ["occurredAt"] = "2026-05-06T07:08:09Z" });
        await _crm.Client.LinkAsync(RecordTypes.Interaction, meeting.Id, new RecordLink(RecordTypes.Contact, ada.Id));

        await LastActivityBecomesAsync(RecordTypes.Contact, ada.Id, "2026-05-06T07:08:09.0000000Z");
        await Eventually.TrueAsync(async () =>
            (await _crm.Store.Coordination.ListOutboxAsync(LastActivityRollup.SubscriptionName, 0, 100, Ct)).Count(r => r.Status == OutboxStatus.Done) >= 4);

        var updates = (await _crm.Client.GetHistoryAsync(RecordTypes.Contact, ada.Id)).Items.Where(e => e.Type == "record.updated").ToList();
        Assert.Equal(2, updates.Count);
        Assert.All(updates, u => Assert.StartsWith(LastActivityRollup.SubscriptionName + "/", u.CausationId));
    }
}
