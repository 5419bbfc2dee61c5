using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>Another tenant's record answers 404 on every route, exactly like a record that does not exist.</summary>
public sealed class CrossTenantTests(CrmServerFixture fixture)
{
    [Theory]
    [MemberData(nameof(Samples.Resources), MemberType = typeof(Samples))]
    public async Task Another_tenants_record_is_404_on_every_route_and_stays_untouched(string resource)
    {
        var owner = await fixture.NewTenantAsync();
        var prober = await fixture.NewTenantAsync();
        var theirs = await owner.Admin.Records(resource).CreateAsync(Samples.NewRecord(resource));
        var contact = await owner.Admin.Contacts.CreateAsync(Samples.NewRecord("contacts"));
        var before = await owner.Admin.Records(resource).GetAsync(theirs.Id);
        var historyBefore = (await owner.Admin.Records(resource).GetHistoryAsync(theirs.Id)).Items.Count;
        var id = Uri.EscapeDataString(theirs.Id);
        var key = prober.AdminKey;
        var (field, value) = Samples.Change(resource);
        var patch = new JsonObject { [field] = value.DeepClone() }.ToJsonString();

        var probes = new List<(string Name, HttpMethod Method, string Path, string? Body)>
        {
            ("get", HttpMethod.Get, $"api/v1/{resource}/{id}", null),
            ("asOf", HttpMethod.Get, $"api/v1/{resource}/{id}?asOf={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}", null),
            ("patch", HttpMethod.Patch, $"api/v1/{resource}/{id}", patch),
            ("history", HttpMethod.Get, $"api/v1/{resource}/{id}/history", null),
            ("timeline", HttpMethod.Get, $"api/v1/{resource}/{id}/timeline", null),
            ("link", HttpMethod.Post, $"api/v1/{resource}/{id}/links", $$"""{"type":"contact","id":"{{contact.Id}}"}"""),
            ("unlink", HttpMethod.Delete, $"api/v1/{resource}/{id}/links/contact/{contact.Id}", null),
            ("delete", HttpMethod.Delete, $"api/v1/{resource}/{id}", null),
            ("restore", HttpMethod.Post, $"api/v1/{resource}/{id}/restore", null),
        };
        if (resource == "contacts")
        {
            probes.Add(("consent get", HttpMethod.Get, $"api/v1/contacts/{id}/consent", null));
            probes.Add(("consent check", HttpMethod.Get, $"api/v1/contacts/{id}/consent/check?address=x%40example.com&purpose=sales&channel=email", null));
            probes.Add(("consent put", HttpMethod.Put, $"api/v1/contacts/{id}/consent/marketing/email", """{"status":"granted","source":"probe"}"""));
        }

        if (resource == "cases") probes.Add(("respond", HttpMethod.Post, $"api/v1/cases/{id}/respond", null));

        var failures = new List<string>();
        foreach (var (name, method, path, body) in probes)
        {
            var answer = await fixture.Server.SendAsync(method, path, key, body);
            if (answer.Status != HttpStatusCode.NotFound || !answer.IsProblem || answer.ProblemType != ProblemTypes.NotFound) failures.Add($"{name}: {answer}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Lists, searches and filters of the prober do not reach it either.
        var records = prober.Admin.Records(resource);
        Assert.DoesNotContain(await records.AllAsync(includeDeleted: true), r => r.Id == theirs.Id);
        Assert.Empty(await records.AllAsync($"id eq \"{theirs.Id}\""));
        Assert.Empty(await records.AllAsync(q: (before.GetString("name") ?? before.GetString("subject") ?? before.GetString("title") ?? before.GetString("firstName"))!.Split(' ')[0]));

        // The owner's record is as it was.
        var after = await owner.Admin.Records(resource).GetAsync(theirs.Id);
        Assert.Equal(before.Fields.ToJsonString(), after.Fields.ToJsonString());
        Assert.Equal(historyBefore, (await owner.Admin.Records(resource).GetHistoryAsync(theirs.Id)).Items.Count);
    }

    [Fact]
    public async Task Ids_and_external_ids_of_another_tenant_name_other_records_in_batches_and_upserts()
    {
        var owner = await fixture.NewTenantAsync();
        var prober = await fixture.NewTenantAsync();
        var theirs = await owner.Admin.Contacts.CreateAsync(new JsonObject { ["id"] = "c-shared", ["firstName"] = "Ada", ["externalId"] = "ext-shared" });

        var row = Assert.Single((await prober.Admin.Contacts.BatchAsync([new JsonObject { ["id"] = "c-shared", ["firstName"] = "Other" }], TestData.Cancel)).Results);
        Assert.Equal(201, row.Status);
        var upsert = await prober.Admin.Contacts.UpsertByExternalIdAsync("ext-shared", new JsonObject { ["firstName"] = "Upserted" });
        Assert.True(upsert.Created);

        var after = await owner.Admin.Contacts.GetAsync(theirs.Id);
        Assert.Equal(theirs.Version, after.Version);
        Assert.Equal("Ada", after.GetString("firstName"));
        Assert.Single(await owner.Admin.Contacts.AllAsync());
    }

    [Fact]
    public async Task Another_tenants_key_cannot_be_revoked_and_keeps_working()
    {
        var owner = await fixture.NewTenantAsync();
        var prober = await fixture.NewTenantAsync();
        var reader = await owner.AddUserAsync(ApiRole.ReadOnly);

        var error = await Assert.ThrowsAsync<CrmApiException>(() => prober.Admin.Keys.RevokeAsync(reader.KeyId));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.DoesNotContain(await prober.Admin.Keys.ListAsync(), k => k.KeyId == reader.KeyId);
        Assert.Equal(owner.Id, (await reader.Client.GetMeAsync()).Tenant);
    }

    [Fact]
    public async Task Keys_are_issued_only_for_users_of_the_callers_tenant()
    {
        var owner = await fixture.NewTenantAsync();
        var prober = await fixture.NewTenantAsync();
        var user = await owner.AddUserAsync(ApiRole.Agent);

        var error = await Assert.ThrowsAsync<CrmApiException>(() => prober.Admin.Keys.CreateAsync(user.UserId, ApiRole.Admin));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("userId", error.Errors.Keys);
    }
}
