using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>Tenants, keys, settings and the caller's identity.</summary>
public sealed class AdministrationTests(CrmServerFixture fixture)
{
    [Fact]
    public async Task A_new_tenant_answers_its_admin_key_once_and_is_listed()
    {
        var id = "t" + Guid.NewGuid().ToString("N")[..12];
        var raw = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/tenants", fixture.Server.BootstrapKey, $$"""{"id":"{{id}}","name":"Acme"}""");
        Assert.Equal(HttpStatusCode.Created, raw.Status);
        Assert.Equal($"/api/v1/tenants/{id}", raw.Headers.Location?.OriginalString);
        var key = raw.Json["adminKey"]!.GetValue<string>();

        var me = await fixture.Server.Client(key).GetMeAsync();
        Assert.Equal((id, "admin", "admin"), (me.Tenant, me.UserId, me.Role));
        Assert.Contains(await fixture.Server.Bootstrap.Tenants.ListAsync(), t => t.Id == id && t.Name == "Acme");
        // Listed by a prefix that tells keys apart, never in full.
        var listed = Assert.Single(await fixture.Server.Client(key).Keys.ListAsync());
        Assert.StartsWith(listed.Prefix!.TrimEnd('…'), key);
        Assert.DoesNotContain(key, (await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/keys", key)).Body);

        var again = await Assert.ThrowsAsync<CrmApiException>(() => fixture.Server.Bootstrap.Tenants.CreateAsync(id));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task An_issued_key_works_until_it_is_revoked_and_then_gets_401()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        Assert.Equal("agent", (await agent.Client.GetMeAsync()).Role);
        var listed = Assert.Single(await tenant.Admin.Keys.ListAsync(), k => k.KeyId == agent.KeyId);
        Assert.Equal((agent.UserId, "agent"), (listed.UserId, listed.Role));

        var revoked = await tenant.Admin.Keys.RevokeAsync(agent.KeyId);
        Assert.NotNull(revoked.RevokedAt);
        var error = await Assert.ThrowsAsync<CrmApiException>(() => agent.Client.GetMeAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("application/problem+json", error.ContentType);
        Assert.NotNull(Assert.Single(await tenant.Admin.Keys.ListAsync(), k => k.KeyId == agent.KeyId).RevokedAt);
    }

    [Fact]
    public async Task Keys_of_a_deleted_user_stop_working()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        await tenant.Admin.Users.DeleteAsync(agent.UserId);

        var error = await Assert.ThrowsAsync<CrmApiException>(() => agent.Client.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ghost" }));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Empty(await tenant.Admin.Contacts.AllAsync());
    }

    [Fact]
    public async Task Keys_of_a_deactivated_user_stop_working_until_it_is_active_again()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        await tenant.Admin.Users.PatchAsync(agent.UserId, new JsonObject { ["active"] = false });

        var error = await Assert.ThrowsAsync<CrmApiException>(() => agent.Client.GetMeAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        await tenant.Admin.Users.PatchAsync(agent.UserId, new JsonObject { ["active"] = true });
        Assert.Equal(agent.UserId, (await agent.Client.GetMeAsync()).UserId);
    }

    [Fact]
    public async Task Custom_fields_are_defined_used_in_records_and_removed()
    {
        var tenant = await fixture.NewTenantAsync();
        var settings = await tenant.Admin.Settings.DefineCustomFieldAsync("contacts", "region",
            new JsonObject { ["type"] = "choice", ["choices"] = new JsonArray("EU", "US"), ["label"] = "Region" });
        Assert.Contains("region", settings.ToJsonString());
        var ada = await tenant.Admin.Contacts.CreateAsync(TestData.Obj("""{"firstName":"Ada","custom":{"region":"EU"}}"""));
        Assert.Equal("EU", ada.GetCustom("region")!.GetValue<string>());

        var invalid = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Contacts.CreateAsync(TestData.Obj("""{"firstName":"Bob","custom":{"region":"Mars"}}""")));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("custom.region", invalid.Errors.Keys);

        var definedAt = DateTimeOffset.UtcNow;
        await tenant.Admin.Settings.RemoveCustomFieldAsync("contacts", "region");
        Assert.Null((await tenant.Admin.Contacts.GetAsync(ada.Id)).GetCustom("region"));
        Assert.Contains("region", (await tenant.Admin.Settings.GetAsync(asOf: definedAt)).ToJsonString());
    }

    [Fact]
    public async Task Pipelines_and_general_settings_apply_to_new_records()
    {
        var tenant = await fixture.NewTenantAsync();
        await tenant.Admin.Settings.DefinePipelineAsync("enterprise", TestData.Obj("""
            { "name": "Enterprise", "stages": [ { "id": "discovery", "name": "Discovery", "probability": 5 }, { "id": "won", "name": "Won", "probability": 100, "isWon": true } ] }
            """));
        var general = await tenant.Admin.Settings.ChangeGeneralAsync(new JsonObject { ["timeZone"] = "Europe/Paris", ["baseCurrency"] = "EUR" });
        Assert.Equal("Europe/Paris", general["timeZone"]!.GetValue<string>());

        var deal = await tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Big", ["pipeline"] = "enterprise", ["amount"] = 50_000 });
        Assert.Equal("discovery", deal.GetString("stage"));
        Assert.Equal("EUR", deal.GetString("currency"));
        var moved = await tenant.Admin.Deals.PatchAsync(deal.Id, new JsonObject { ["stage"] = "won" });
        Assert.Equal("won", moved.GetString("stage"));
        var bad = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Deals.PatchAsync(deal.Id, new JsonObject { ["stage"] = "nowhere" }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Problems_carry_a_stable_type_title_detail_and_field_errors()
    {
        var tenant = await fixture.NewTenantAsync();
        var error = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Contacts.CreateAsync(TestData.Obj("""{"firstName":"Ada","email":"x","lifecycleStage":"alien"}""")));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(ProblemTypes.Validation, error.ProblemType);
        Assert.Equal("validation", error.Code);
        Assert.False(string.IsNullOrEmpty(error.Title));
        Assert.False(string.IsNullOrEmpty(error.Detail));
        Assert.Contains("email", error.Errors.Keys);
        Assert.Contains("lifecycleStage", error.Errors.Keys);
        Assert.Contains("\"errors\"", error.Body);
        Assert.Equal("application/problem+json", error.ContentType);

        var duplicate = await tenant.Admin.Contacts.CreateAsync(TestData.Obj("""{"firstName":"Ada","email":"ada@example.com"}"""));
        var taken = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Contacts.CreateAsync(TestData.Obj("""{"firstName":"Eve","email":"ADA@example.com"}""")));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal(ProblemTypes.Duplicate, taken.ProblemType);
        Assert.Equal(duplicate.Id, taken.Problem!["existingId"]!.GetValue<string>());
    }
}
