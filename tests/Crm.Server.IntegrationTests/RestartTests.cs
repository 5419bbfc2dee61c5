using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>A server of its own, stopped and started again on the same data directory.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task A_restarted_server_keeps_tenants_keys_records_consent_and_settings()
    {
        using var directory = new TempDirectory();
        var bootstrapKey = CrmServerInstance.NewKey();
        string tenantKey, revokedKey, readerKey, fingerprint, contactId, firstAnswer;
        var server = await CrmServerInstance.StartAsync(directory.Path, bootstrapKey, TestData.Cancel);
        try
        {
            var tenant = await server.NewTenantAsync(TestData.Cancel);
            tenantKey = tenant.AdminKey;
            await tenant.Admin.Settings.DefineCustomFieldAsync("contacts", "region", new JsonObject { ["type"] = "text" });
            var batch = await tenant.Admin.Contacts.BatchAsync(Enumerable.Range(0, 200).Select(i => new JsonObject
            {
                ["firstName"] = "Person" + i,
                ["email"] = $"person{i}@example.com",
                ["custom"] = new JsonObject { ["region"] = i % 2 == 0 ? "EU" : "US" },
            }), TestData.Cancel);
            Assert.Equal(200, batch.Succeeded);
            contactId = batch.Results[0].Id!;
            await tenant.Admin.Contacts.PatchAsync(contactId, new JsonObject { ["title"] = "Changed before the restart" });
            await tenant.Admin.Consent.SetAsync(contactId, "newsletter", "email", new ConsentDecisionRequest { Status = "granted", Source = "form" });
            await tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Deal", ["amount"] = 10 });
            await tenant.Admin.Contacts.DeleteAsync(batch.Results[1].Id!);
            firstAnswer = (await server.SendAsync(HttpMethod.Post, "api/v1/accounts", tenantKey, """{"name":"Acme"}""",
                headers: new Dictionary<string, string> { ["Idempotency-Key"] = "acme-1" })).Body;
            var reader = await tenant.AddUserAsync(ApiRole.ReadOnly);
            readerKey = reader.Key;
            var revoked = await tenant.AddUserAsync(ApiRole.Agent);
            revokedKey = revoked.Key;
            await tenant.Admin.Keys.RevokeAsync(revoked.KeyId);
            fingerprint = await tenant.Admin.FingerprintAsync();
        }
        finally
        {
            await server.DisposeAsync();
        }

        await using var restarted = await CrmServerInstance.StartAsync(directory.Path, bootstrapKey, TestData.Cancel);
        Assert.Equal("default", (await restarted.Bootstrap.GetMeAsync()).Tenant);
        var admin = restarted.Client(tenantKey);
        Assert.Equal(fingerprint, await admin.FingerprintAsync());
        Assert.Equal(199, (await admin.Contacts.AllAsync()).Count);
        Assert.Equal(100, (await admin.Contacts.IdsAsync("custom.region eq \"EU\"")).Count);
        var contact = await admin.Contacts.GetAsync(contactId);
        Assert.Equal("Changed before the restart", contact.GetString("title"));
        Assert.True((await admin.Consent.CheckAsync(contactId, "person0@example.com", "newsletter", "email")).Allowed);
        Assert.Equal([contactId], await admin.Contacts.IdsAsync(q: "person0@example.com"));
        Assert.Equal("readonly", (await restarted.Client(readerKey).GetMeAsync()).Role);
        var error = await Assert.ThrowsAsync<CrmApiException>(() => restarted.Client(revokedKey).GetMeAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);

        // An idempotent create retried after the restart still answers the first answer.
        var retried = await restarted.SendAsync(HttpMethod.Post, "api/v1/accounts", tenantKey, """{"name":"Acme"}""",
            headers: new Dictionary<string, string> { ["Idempotency-Key"] = "acme-1" });
        Assert.Equal(firstAnswer, retried.Body);
        Assert.Single(await admin.Accounts.AllAsync());
    }
}
