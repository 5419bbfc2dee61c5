using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Crm.Server.IntegrationTests;

public sealed class MergeTests(CrmServerFixture fixture)
{
    private async Task<string> CreateAsync(TenantScope tenant, string resource, string json)
    {
        var created = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/{resource}", tenant.AdminKey, json);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return created.Json["id"]!.GetValue<string>();
    }

    private Task<RawResponse> MergeAsync(TenantScope tenant, string survivor, string body) =>
        fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/contacts/{survivor}/merge", tenant.AdminKey, body);

    [Fact]
    public async Task A_merge_moves_everything_and_the_old_id_redirects_to_the_survivor()
    {
        var tenant = await fixture.NewTenantAsync();
        var survivor = await CreateAsync(tenant, "contacts", """{ "firstName": "Ada", "lastName": "Lovelace", "email": "ada@x.com" }""");
        var merged = await CreateAsync(tenant, "contacts", """{ "firstName": "Ada", "lastName": "Byron", "email": "ada@y.com", "title": "Countess" }""");
        var call = await CreateAsync(tenant, "interactions", """{ "kind": "call", "subject": "Intro" }""");
        var task = await CreateAsync(tenant, "tasks", """{ "title": "Follow up" }""");
        foreach (var (resource, id) in new[] { ("interactions", call), ("tasks", task) })
        {
            var link = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/{resource}/{id}/links", tenant.AdminKey, $$"""{ "type": "contact", "id": "{{merged}}" }""");
            Assert.Equal(HttpStatusCode.OK, link.Status);
        }

        var result = await MergeAsync(tenant, survivor, $$"""{ "mergeId": "{{merged}}" }""");
        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal(survivor, result.Json["survivor"]!["id"]!.GetValue<string>());
        Assert.Equal("Countess", result.Json["survivor"]!["title"]!.GetValue<string>());
        Assert.Equal("lastName", result.Json["conflicts"]![0]!["field"]!.GetValue<string>());
        Assert.Equal([$"interaction/{call}", $"task/{task}"], result.Json["moved"]!.AsArray().Select(n => n!.GetValue<string>()).Order());

        foreach (var (resource, id) in new[] { ("interactions", call), ("tasks", task) })
        {
            var links = (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/{resource}/{id}", tenant.AdminKey)).Json["links"]!.AsArray();
            Assert.Equal(survivor, Assert.Single(links)!["id"]!.GetValue<string>());
        }

        // The old id answers with a permanent redirect to the survivor.
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/contacts/{merged}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.AdminKey);
        using var redirect = await noRedirects.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirect.StatusCode);
        Assert.Equal($"/api/v1/contacts/{survivor}", redirect.Headers.Location?.OriginalString);
        var body = JsonNode.Parse(await redirect.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(survivor, body["mergedInto"]!.GetValue<string>());

        // The typed client (whose HttpClient follows redirects and drops the key on the way) lands on the survivor.
        Assert.Equal(survivor, (await tenant.Admin.Contacts.GetAsync(merged)).Id);

        // Both histories stay readable; the survivor's shows the merge and who made it.
        var oldTimeline = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{merged}/timeline", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.OK, oldTimeline.Status);
        Assert.Contains(oldTimeline.Json["items"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "record.mergedInto");
        var old = (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{merged}/history", tenant.AdminKey)).Json["items"]!.AsArray();
        Assert.Equal("record.created", old[0]!["type"]!.GetValue<string>());
        Assert.Equal("record.mergedInto", old[^1]!["type"]!.GetValue<string>());
        var history = (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{survivor}/history", tenant.AdminKey)).Json["items"]!.AsArray();
        var merge = Assert.Single(history, e => e!["type"]!.GetValue<string>() == "record.merged")!;
        Assert.StartsWith("apikey:", merge["actor"]!.GetValue<string>());
        Assert.Equal(merged, merge["data"]!["mergedId"]!.GetValue<string>());

        // Asking again answers the same merge.
        var again = await tenant.Admin.Contacts.MergeAsync(survivor, merged);
        Assert.Equal(result.Json["survivor"]!["version"]!.GetValue<long>(), again["survivor"]!["version"]!.GetValue<long>());

        // New links and changes name the survivor, not the merged id.
        var relink = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/tasks/{task}/links", tenant.AdminKey, $$"""{ "type": "contact", "id": "{{merged}}" }""");
        Assert.Equal(HttpStatusCode.BadRequest, relink.Status);
        var patch = await fixture.Server.SendAsync(HttpMethod.Patch, $"api/v1/contacts/{merged}", tenant.AdminKey, """{ "title": "x" }""");
        Assert.Equal(HttpStatusCode.NotFound, patch.Status);
    }

    [Fact]
    public async Task Bad_merges_answer_problems_naming_the_field()
    {
        var tenant = await fixture.NewTenantAsync();
        var a = await CreateAsync(tenant, "contacts", """{ "firstName": "A" }""");
        var b = await CreateAsync(tenant, "contacts", """{ "firstName": "B" }""");
        var c = await CreateAsync(tenant, "contacts", """{ "firstName": "C" }""");
        var account = await CreateAsync(tenant, "accounts", """{ "name": "Acme" }""");

        async Task Expect(string survivor, string body, HttpStatusCode status, string field, string? detail = null)
        {
            var r = await MergeAsync(tenant, survivor, body);
            Assert.True(r.Status == status, r.ToString());
            Assert.True(r.IsProblem, r.ToString());
            Assert.NotNull(r.Json["errors"]![field]);
            if (detail is not null) Assert.Contains(detail, r.Json["detail"]!.GetValue<string>());
        }

        await Expect(a, "{}", HttpStatusCode.BadRequest, "mergeId");
        await Expect(a, $$"""{ "mergeId": "{{a}}" }""", HttpStatusCode.BadRequest, "mergeId", "itself");
        await Expect(a, $$"""{ "mergeId": "{{account}}" }""", HttpStatusCode.BadRequest, "mergeId", "is a account");
        await Expect(a, """{ "mergeId": "nobody" }""", HttpStatusCode.BadRequest, "mergeId", "no contact");
        Assert.Equal(HttpStatusCode.OK, (await MergeAsync(tenant, a, $$"""{ "mergeId": "{{b}}" }""")).Status);
        await Expect(c, $$"""{ "mergeId": "{{b}}" }""", HttpStatusCode.Conflict, "mergeId");
        await Expect(b, $$"""{ "mergeId": "{{c}}" }""", HttpStatusCode.Conflict, "id");
        var notFound = await MergeAsync(tenant, "nobody", $$"""{ "mergeId": "{{c}}" }""");
        Assert.Equal(HttpStatusCode.NotFound, notFound.Status);
        var restore = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/contacts/{b}/restore", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.Conflict, restore.Status);
        Assert.Equal(a, restore.Json["mergedInto"]!.GetValue<string>());
    }

    [Fact]
    public async Task Duplicates_are_listed_with_scores_and_reasons_per_record_and_tenant_wide()
    {
        var tenant = await fixture.NewTenantAsync();
        var ada = await CreateAsync(tenant, "contacts", """{ "firstName": "Ada", "lastName": "Lovelace", "phone": "+1 650 253 0000", "company": "Engines Ltd" }""");
        var twin = await CreateAsync(tenant, "contacts", """{ "firstName": "Ada", "lastName": "Lovelace", "phone": "650-253-0000", "company": "Engines" }""");
        await CreateAsync(tenant, "contacts", """{ "firstName": "Grace", "lastName": "Hopper" }""");

        var found = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{ada}/duplicates", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.OK, found.Status);
        var candidate = Assert.Single(found.Json["items"]!.AsArray())!;
        Assert.Equal(twin, candidate["record"]!["id"]!.GetValue<string>());
        Assert.Equal(100, candidate["score"]!.GetValue<int>());
        Assert.Equal(["name 100% similar, same company", "same phone +16502530000"], candidate["reasons"]!.AsArray().Select(n => n!.GetValue<string>()));

        var scan = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/duplicates/contacts?limit=10", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.OK, scan.Status);
        var pair = Assert.Single(scan.Json["items"]!.AsArray())!;
        Assert.Equal(new[] { ada, twin }.Order(StringComparer.Ordinal), new[] { pair["record"]!["id"]!.GetValue<string>(), pair["candidate"]!["record"]!["id"]!.GetValue<string>() });

        var missing = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/contacts/nobody/duplicates", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Fact]
    public async Task Required_fields_per_stage_are_set_in_settings_and_refuse_writes_naming_each_missing_field()
    {
        var tenant = await fixture.NewTenantAsync();
        var settings = await fixture.Server.SendAsync(HttpMethod.Patch, "api/v1/settings", tenant.AdminKey,
            """{ "requiredFields": { "contact": { "customer": ["email", "accountId"] } } }""");
        Assert.Equal(HttpStatusCode.OK, settings.Status);
        Assert.Equal("accountId", settings.Json["requiredFields"]!["contact"]!["customer"]![1]!.GetValue<string>());

        var id = await CreateAsync(tenant, "contacts", """{ "firstName": "Cleo" }""");
        var refused = await fixture.Server.SendAsync(HttpMethod.Patch, $"api/v1/contacts/{id}", tenant.AdminKey, """{ "lifecycleStage": "customer" }""");
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.NotNull(refused.Json["errors"]!["email"]);
        Assert.NotNull(refused.Json["errors"]!["accountId"]);
        var contact = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{id}", tenant.AdminKey);
        Assert.Equal("lead", contact.Json["lifecycleStage"]!.GetValue<string>());
        Assert.Equal(1, contact.Json["version"]!.GetValue<long>());

        var bad = await fixture.Server.SendAsync(HttpMethod.Patch, "api/v1/settings", tenant.AdminKey, """{ "requiredFields": { "contact": { "vip": ["email"] } } }""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.NotNull(bad.Json["errors"]!["requiredFields.contact.vip"]);
    }

    [Fact]
    public async Task Roles_and_ownership_limit_merges_and_duplicates()
    {
        var tenant = await fixture.NewTenantAsync();
        var reader = await tenant.AddUserAsync(Crm.Engine.Client.ApiRole.ReadOnly);
        var agent = await tenant.AddUserAsync(Crm.Engine.Client.ApiRole.Agent);
        var mine = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/contacts", agent.Key, """{ "firstName": "Ada", "lastName": "Lovelace", "phone": "+1 650 253 0000" }""");
        var colleague = await tenant.AddUserAsync(Crm.Engine.Client.ApiRole.Agent);
        var theirs = (await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/contacts", colleague.Key, """{ "firstName": "Ada", "lastName": "Lovelace", "phone": "+1 650 253 0000" }""")).Json["id"]!.GetValue<string>();
        var mineId = mine.Json["id"]!.GetValue<string>();

        var readOnly = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/contacts/{mineId}/merge", reader.Key, $$"""{ "mergeId": "{{theirs}}" }""");
        Assert.Equal(HttpStatusCode.Forbidden, readOnly.Status);

        // An agent sees only its own contacts: another's is neither a candidate nor something it can merge.
        var found = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{mineId}/duplicates", agent.Key);
        Assert.Empty(found.Json["items"]!.AsArray());
        var merge = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/contacts/{mineId}/merge", agent.Key, $$"""{ "mergeId": "{{theirs}}" }""");
        Assert.Equal(HttpStatusCode.BadRequest, merge.Status);
        Assert.NotNull(merge.Json["errors"]!["mergeId"]);

        // The admin sees both as one person.
        var all = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{mineId}/duplicates", tenant.AdminKey);
        Assert.Equal(theirs, Assert.Single(all.Json["items"]!.AsArray())!["record"]!["id"]!.GetValue<string>());
    }
}
