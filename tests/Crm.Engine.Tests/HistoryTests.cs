using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Storage;
using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

public sealed class HistoryTests(EngineFixture fixture)
{
    [Fact]
    public async Task State_as_of_a_past_time_uses_the_stream_and_the_settings_of_that_time()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Past", "title": "Engineer" }"""));
        var before = (await crm.GetAsync(RecordTypes.Contact, c.Id))!.UpdatedAt;

        await crm.DefineCustomFieldAsync(new CustomFieldDefinition { RecordType = RecordTypes.Contact, Name = "region", Type = CustomFieldType.Choice, Choices = ["EU", "US"] });
        var now = await crm.UpdateAsync(RecordTypes.Contact, c.Id, Obj("""{ "title": "Manager", "custom": { "region": "eu" } }"""));
        Assert.Equal("EU", now.Fields["custom"]!["region"]!.GetValue<string>());

        var then = await crm.GetAsync(RecordTypes.Contact, c.Id, asOf: before);
        Assert.NotNull(then);
        Assert.Equal(1, then.Version);
        Assert.Equal("Engineer", then.GetString("title"));
        Assert.Null(then.Fields["custom"]);
        Assert.Empty((await crm.GetSettingsAsync(asOf: before)).CustomFields);
        Assert.Single((await crm.GetSettingsAsync()).CustomFields);
        Assert.Null(await crm.GetAsync(RecordTypes.Contact, c.Id, asOf: before.AddDays(-1)));
    }

    [Fact]
    public async Task A_v1_event_is_upcast_when_read()
    {
        var crm = fixture.NewTenant();
        var store = fixture.Engine.Store;
        var id = "legacy1";
        var t = DateTimeOffset.UtcNow.AddMinutes(-10);
        var created = new JsonObject { ["fields"] = new JsonObject { ["firstName"] = "Old", ["email"] = "old@x.com", ["emails"] = new JsonArray("old@x.com") } };
        // v1 consent: email only, a boolean.
        var consentV1 = new JsonObject { ["purpose"] = "newsletter", ["address"] = "old@x.com", ["granted"] = true, ["source"] = "2019 signup", ["at"] = FieldValidator.FormatTime(t) };
        await store.AppendAsync(new AppendRequest
        {
            Tenant = crm.Tenant,
            StreamId = StreamIds.ForRecord(RecordTypes.Contact, id),
            ExpectedVersion = 0,
            Events =
            [
                new NewEvent { EventId = Guid.NewGuid(), Type = EventTypes.RecordCreated, PayloadJson = created.ToJsonString(), Time = t, Actor = Actor.System },
                new NewEvent { EventId = Guid.NewGuid(), Type = EventTypes.ConsentRecorded, SchemaVersion = 1, PayloadJson = consentV1.ToJsonString(), Time = t, Actor = Actor.System },
            ],
        });

        var entry = Assert.Single(await crm.GetConsentAsync(id));
        Assert.Equal(Channels.Email, entry.Channel);
        Assert.Equal(ConsentStatus.Granted, entry.Status);
        Assert.Equal(LawfulBasis.Consent, entry.LawfulBasis);
        Assert.True((await crm.MayContactAsync(id, "old@x.com", "newsletter", Channels.Email)).Allowed);
        // The log itself is unchanged.
        var stored = (await crm.GetHistoryAsync(RecordTypes.Contact, id)).Items[1];
        Assert.Equal(1, stored.SchemaVersion);
        Assert.Contains("\"granted\":true", stored.PayloadJson);
    }

    [Fact]
    public async Task Timeline_lists_linked_interactions_and_tasks_newest_first_in_pages()
    {
        var crm = fixture.NewTenant();
        var contact = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Tim" }"""));
        for (var i = 0; i < 3; i++)
        {
            var call = await crm.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "call", ["subject"] = $"call {i}" });
            await crm.LinkAsync(RecordTypes.Interaction, call.Id, new RecordLink(RecordTypes.Contact, contact.Id));
        }

        var task = await crm.CreateAsync(RecordTypes.Task, Obj("""{ "title": "Follow up", "due": "2030-01-01T10:00:00Z" }"""));
        await crm.LinkAsync(RecordTypes.Task, task.Id, new RecordLink(RecordTypes.Contact, contact.Id));
        var unrelated = await crm.CreateAsync(RecordTypes.Interaction, Obj("""{ "kind": "note", "subject": "elsewhere" }"""));

        var all = new List<CrmEvent>();
        string? cursor = null;
        do
        {
            var page = await crm.GetTimelineAsync(RecordTypes.Contact, contact.Id, cursor, limit: 3);
            Assert.True(page.Items.Count <= 3);
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);

        // 1 contact event + 3 × (created, linked) + task (created, linked), besides the contact's lastActivityAt
        // updates that the linked calls cause in the background.
        Assert.Equal(9, all.Count(e => e.CausationId?.StartsWith(Activity.LastActivityRollup.SubscriptionName + "/", StringComparison.Ordinal) != true));
        Assert.Equal(all.OrderByDescending(e => e.Position).Select(e => e.Position), all.Select(e => e.Position));
        Assert.DoesNotContain(all, e => e.StreamId == $"interaction/{unrelated.Id}");
        Assert.Contains(all, e => e.StreamId == $"task/{task.Id}");
    }

    [Fact]
    public async Task Custom_fields_are_validated_like_built_ins()
    {
        var crm = fixture.NewTenant();
        foreach (var (name, type) in new[] { ("score", CustomFieldType.Number), ("since", CustomFieldType.Date), ("vip", CustomFieldType.Bool), ("site", CustomFieldType.Url), ("billing", CustomFieldType.Email), ("note", CustomFieldType.Text) })
        {
            await crm.DefineCustomFieldAsync(new CustomFieldDefinition { RecordType = RecordTypes.Account, Name = name, Type = type, MaxLength = type == CustomFieldType.Text ? 5 : null });
        }

        await crm.DefineCustomFieldAsync(new CustomFieldDefinition { RecordType = RecordTypes.Account, Name = "tiers", Type = CustomFieldType.MultiChoice, Choices = ["gold", "silver"] });

        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.CreateAsync(RecordTypes.Account, Obj("""
            { "name": "Acme", "custom": { "score": "high", "since": "2020-13-01", "vip": "yes", "site": "ftp://x", "billing": "nope", "note": "too long", "tiers": ["bronze"] } }
            """)));
        Assert.Equal(
            ["custom.billing", "custom.note", "custom.score", "custom.since", "custom.site", "custom.tiers", "custom.vip"],
            ex.Errors.Select(e => e.Field).Order());

        var ok = await crm.CreateAsync(RecordTypes.Account, Obj("""
            { "name": "Acme", "custom": { "score": 4.5, "since": "2020-01-31", "vip": true, "site": "https://acme.test", "billing": "AP@Acme.test", "note": "hi", "tiers": ["Gold"] } }
            """));
        var custom = ok.Fields["custom"]!;
        Assert.Equal(4.5m, custom["score"]!.GetValue<decimal>());
        Assert.Equal("ap@acme.test", custom["billing"]!.GetValue<string>());
        Assert.Equal("gold", custom["tiers"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_custom_field_cannot_shadow_a_built_in_field()
    {
        var crm = fixture.NewTenant();
        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.DefineCustomFieldAsync(
            new CustomFieldDefinition { RecordType = RecordTypes.Contact, Name = "email", Type = CustomFieldType.Text }));
        Assert.Equal("name", ex.Errors[0].Field);
    }
}
