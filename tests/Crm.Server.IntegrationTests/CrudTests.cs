using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

public sealed class CrudTests(CrmServerFixture fixture)
{
    [Theory]
    [MemberData(nameof(Samples.Resources), MemberType = typeof(Samples))]
    public async Task Create_read_change_delete_and_restore_a_record(string resource)
    {
        var tenant = await fixture.NewTenantAsync();
        var records = tenant.Admin.Records(resource);

        var sent = Samples.NewRecord(resource);
        var created = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/{resource}", tenant.AdminKey, sent.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Json["id"]!.GetValue<string>();
        var version = created.Json["version"]!.GetValue<long>();
        Assert.Equal($"/api/v1/{resource}/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal($"\"{version}\"", created.Headers.ETag?.ToString());
        Assert.True(version >= 1);

        var read = await records.GetAsync(id);
        Assert.Equal(id, read.Id);
        Assert.Equal($"\"{version}\"", read.ETag);
        foreach (var (field, value) in sent)
        {
            if (field is "email") continue; // normalised; compared below where it matters
            Assert.True(JsonNode.DeepEquals(value, read[field]), $"{field}: sent {value?.ToJsonString()}, read {read[field]?.ToJsonString()}");
        }

        var (changedField, newValue) = Samples.Change(resource);
        var changed = await records.PatchAsync(id, new JsonObject { [changedField] = newValue.DeepClone() }, ifMatch: read.ETag);
        Assert.Equal(version + 1, changed.Version);
        Assert.Equal($"\"{version + 1}\"", changed.ETag);
        Assert.True(JsonNode.DeepEquals(newValue, (await records.GetAsync(id))[changedField]));

        await records.DeleteAsync(id);
        var gone = await Assert.ThrowsAsync<CrmApiException>(() => records.GetAsync(id));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(ProblemTypes.NotFound, gone.ProblemType);
        Assert.DoesNotContain(await records.ListAllAsync().ToListAsync(TestContext.Current.CancellationToken), r => r.Id == id);

        var restored = await records.RestoreAsync(id);
        Assert.Equal(id, restored.Id);
        Assert.False(restored.Deleted);
        var again = await records.GetAsync(id);
        Assert.Equal(version + 3, again.Version);
        Assert.True(JsonNode.DeepEquals(newValue, again[changedField]));
        Assert.Contains(await records.ListAllAsync().ToListAsync(TestContext.Current.CancellationToken), r => r.Id == id);
    }

    [Fact]
    public async Task Delete_answers_204_and_the_record_then_answers_404()
    {
        var tenant = await fixture.NewTenantAsync();
        var contact = await tenant.Admin.Contacts.CreateAsync(Samples.NewRecord("contacts"));

        var deleted = await fixture.Server.SendAsync(HttpMethod.Delete, $"api/v1/contacts/{contact.Id}", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal("", deleted.Body);
        var get = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{contact.Id}", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, get.Status);
        Assert.True(get.IsProblem, get.ToString());
    }

    [Fact]
    public async Task A_contact_reads_back_in_the_simple_shape_with_normalised_addresses()
    {
        var tenant = await fixture.NewTenantAsync();
        var ada = await tenant.Admin.Contacts.CreateAsync(new JsonObject
        {
            ["firstName"] = "Ada",
            ["email"] = "  Ada.Lovelace@Example.COM ",
            ["phone"] = "+44 20 7946 0958",
            ["tags"] = new JsonArray("vip"),
        });

        var read = await tenant.Admin.Contacts.GetAsync(ada.Id);
        Assert.Equal("ada.lovelace@example.com", read.GetString("email"));
        Assert.Equal("+442079460958", read.GetString("phone"));
        Assert.Equal("lead", read.GetString("lifecycleStage"));
        Assert.NotNull(read.CreatedAt);
        Assert.Equal(read.CreatedAt, read.UpdatedAt);
    }

    [Fact]
    public async Task Get_as_of_a_past_time_shows_the_record_as_it_was()
    {
        var tenant = await fixture.NewTenantAsync();
        var contact = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["title"] = "Miss" });
        var before = (await tenant.Admin.Contacts.GetAsync(contact.Id)).UpdatedAt!.Value;
        await tenant.Admin.Contacts.PatchAsync(contact.Id, new JsonObject { ["title"] = "Countess" });

        var then = await tenant.Admin.Contacts.GetAsync(contact.Id, asOf: before);
        Assert.Equal("Miss", then.GetString("title"));
        Assert.Equal(1, then.Version);
        Assert.Equal("Countess", (await tenant.Admin.Contacts.GetAsync(contact.Id)).GetString("title"));
    }

    [Fact]
    public async Task History_and_timeline_list_the_changes()
    {
        var tenant = await fixture.NewTenantAsync();
        var contact = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada" });
        await tenant.Admin.Contacts.PatchAsync(contact.Id, new JsonObject { ["title"] = "Countess" });
        var note = await tenant.Admin.Interactions.CreateAsync(new JsonObject { ["kind"] = "note", ["subject"] = "Tea" });
        await tenant.Admin.Interactions.LinkAsync(note.Id, "contact", contact.Id);

        // Linking the note makes the engine move the contact's lastActivityAt, in the background.
        await Eventually.TrueAsync(async () => (await tenant.Admin.Contacts.GetAsync(contact.Id)).GetString("lastActivityAt") is not null,
            TimeSpan.FromSeconds(30), "the contact's lastActivityAt");
        var history = await tenant.Admin.Contacts.GetHistoryAsync(contact.Id);
        Assert.Equal(["record.created", "record.updated", "record.updated"], history.Items.Select(e => e.Type));
        Assert.All(history.Items.Take(2), e => Assert.StartsWith("apikey:", e.Actor));
        Assert.Equal("system:system", history.Items[2].Actor);
        Assert.StartsWith("crm.lastActivity/", history.Items[2].CausationId);

        var timeline = await tenant.Admin.Contacts.GetTimelineAsync(contact.Id);
        Assert.Contains(timeline.Items, e => e.Stream == $"interaction/{note.Id}");
        Assert.Contains(timeline.Items, e => e.Stream == $"contact/{contact.Id}" && e.Type == "record.updated");
    }

    [Fact]
    public async Task Links_are_made_listed_on_the_record_and_removed()
    {
        var tenant = await fixture.NewTenantAsync();
        var account = await tenant.Admin.Accounts.CreateAsync(Samples.NewRecord("accounts"));
        var contact = await tenant.Admin.Contacts.CreateAsync(Samples.NewRecord("contacts"));

        var linked = await tenant.Admin.Accounts.LinkAsync(account.Id, "contacts", contact.Id, "decisionMaker");
        Assert.Equal(new ApiLink("contact", contact.Id, "decisionMaker"), Assert.Single(linked.Links));
        var relinked = await tenant.Admin.Accounts.LinkAsync(account.Id, "contact", contact.Id, "champion");
        Assert.Equal("champion", Assert.Single(relinked.Links).Role);

        var unlinked = await tenant.Admin.Accounts.UnlinkAsync(account.Id, "contact", contact.Id);
        Assert.Empty(unlinked.Links);
        Assert.Empty((await tenant.Admin.Accounts.GetAsync(account.Id)).Links);
    }

    [Fact]
    public async Task Responding_to_a_case_records_its_first_response()
    {
        var tenant = await fixture.NewTenantAsync();
        var ticket = await tenant.Admin.Cases.CreateAsync(Samples.NewRecord("cases"));
        var responded = await tenant.Admin.RespondToCaseAsync(ticket.Id);
        Assert.NotNull(responded["firstResponseAt"]);
    }
}
