using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary><c>POST /{resource}/batch?mode=create</c>: new records only, through the engine's bulk create.</summary>
public sealed class BatchCreateTests(CrmServerFixture fixture)
{
    [Fact]
    public async Task A_create_only_batch_refuses_an_existing_id_instead_of_updating_it()
    {
        var tenant = await fixture.NewTenantAsync();
        var contacts = tenant.Admin.Contacts;
        var existing = await contacts.CreateAsync(new JsonObject { ["id"] = "c-old", ["firstName"] = "Old", ["email"] = "old@example.com" });

        var answer = await contacts.CreateManyAsync(
        [
            new JsonObject { ["id"] = "c-new", ["firstName"] = "New", ["email"] = " New@Example.com " },
            new JsonObject { ["id"] = "c-old", ["firstName"] = "Changed" },
            new JsonObject { ["firstName"] = "Mail taken", ["email"] = "OLD@example.com" },
            new JsonObject { ["firstName"] = "Bad", ["email"] = "nope" },
        ]);

        Assert.Equal([201, 409, 409, 400], answer.Results.Select(r => r.Status));
        Assert.Equal(1, answer.Succeeded);
        Assert.Equal(ProblemTypes.Exists, answer.Results[1].ProblemType);
        Assert.Equal(ProblemTypes.Duplicate, answer.Results[2].ProblemType);
        Assert.Equal(existing.Id, answer.Results[2].ExistingId);
        Assert.Contains("email", answer.Results[3].Errors.Keys);
        Assert.Equal("new@example.com", (await contacts.GetAsync("c-new")).GetString("email"));
        Assert.Equal("Old", (await contacts.GetAsync("c-old")).GetString("firstName"));
        Assert.Equal(2, (await contacts.AllAsync()).Count);
    }

    [Fact]
    public async Task An_unknown_batch_mode_is_a_400_naming_mode()
    {
        var tenant = await fixture.NewTenantAsync();
        var raw = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/contacts/batch?mode=replace", tenant.AdminKey, """{"items":[{"firstName":"A"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, raw.Status);
        Assert.True(raw.Json["errors"]!.AsObject().ContainsKey("mode"), raw.ToString());
        Assert.Empty(await tenant.Admin.Contacts.AllAsync());
    }
}
