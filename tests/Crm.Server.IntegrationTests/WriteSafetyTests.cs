using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>Optimistic concurrency, idempotent creates, batches and upserts: writes that are safe to retry.</summary>
public sealed class WriteSafetyTests(CrmServerFixture fixture)
{
    [Fact]
    public async Task A_stale_If_Match_is_refused_with_412_and_the_record_is_unchanged()
    {
        var tenant = await fixture.NewTenantAsync();
        var contacts = tenant.Admin.Contacts;
        var first = await contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["title"] = "Miss" });
        var second = await contacts.PatchAsync(first.Id, new JsonObject { ["title"] = "Countess" }, ifMatch: first.ETag);

        var stale = await fixture.Server.SendAsync(HttpMethod.Patch, $"api/v1/contacts/{first.Id}", tenant.AdminKey, """{"title":"Lady"}""",
            "application/merge-patch+json", new Dictionary<string, string> { ["If-Match"] = first.ETag });
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.True(stale.IsProblem, stale.ToString());
        Assert.Equal(ProblemTypes.Conflict, stale.ProblemType);
        Assert.Equal(second.Version, stale.Json["currentVersion"]!.GetValue<long>());

        var staleDelete = await Assert.ThrowsAsync<CrmApiException>(() => contacts.DeleteAsync(first.Id, ifMatch: first.ETag));
        Assert.Equal(HttpStatusCode.PreconditionFailed, staleDelete.StatusCode);

        var now = await contacts.GetAsync(first.Id);
        Assert.Equal(second.Version, now.Version);
        Assert.Equal("Countess", now.GetString("title"));
        Assert.Equal(2, (await contacts.GetHistoryAsync(first.Id)).Items.Count);

        // Weak and unquoted forms of the current version are accepted.
        await contacts.PatchAsync(first.Id, new JsonObject { ["title"] = "Lady" }, ifMatch: $"W/\"{now.Version}\"");
        Assert.Equal("Lady", (await contacts.GetAsync(first.Id)).GetString("title"));
    }

    [Fact]
    public async Task A_create_retried_three_times_with_one_Idempotency_Key_makes_one_record_and_the_same_answer()
    {
        var tenant = await fixture.NewTenantAsync();
        const string body = """{"firstName":"Ada","email":"ada@example.com"}""";
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "order-7781" };

        var answers = new List<RawResponse>();
        for (var i = 0; i < 3; i++) answers.Add(await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/contacts", tenant.AdminKey, body, headers: headers));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.Status));
        Assert.All(answers, a => Assert.Equal(answers[0].Body, a.Body));
        Assert.All(answers, a => Assert.Equal(answers[0].Headers.Location, a.Headers.Location));
        Assert.All(answers, a => Assert.Equal(answers[0].Headers.ETag, a.Headers.ETag));
        Assert.Single(await tenant.Admin.Contacts.AllAsync());
    }

    [Fact]
    public async Task Concurrent_retries_with_one_Idempotency_Key_make_one_record()
    {
        var tenant = await fixture.NewTenantAsync();
        var fields = new JsonObject { ["firstName"] = "Grace", ["email"] = "grace@example.com" };
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            tenant.Admin.Contacts.CreateAsync((JsonObject)fields.DeepClone(), idempotencyKey: "signup-42", TestData.Cancel)));

        Assert.Single(answers.Select(a => a.Id).Distinct());
        Assert.Single(answers.Select(a => a.Fields.ToJsonString()).Distinct());
        Assert.Single(await tenant.Admin.Contacts.AllAsync());
    }

    [Fact]
    public async Task The_same_Idempotency_Key_with_another_body_is_422_and_writes_nothing()
    {
        var tenant = await fixture.NewTenantAsync();
        var first = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada" }, idempotencyKey: "k-1");

        var other = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Eve" }, idempotencyKey: "k-1"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal(ProblemTypes.IdempotencyMismatch, other.ProblemType);
        Assert.Equal("application/problem+json", other.ContentType);

        var all = await tenant.Admin.Contacts.AllAsync();
        Assert.Equal(first.Id, Assert.Single(all).Id);
        Assert.Equal("Ada", all[0].GetString("firstName"));
        Assert.Equal(first.Version, all[0].Version);
    }

    [Fact]
    public async Task Idempotency_keys_of_two_tenants_do_not_meet()
    {
        var a = await fixture.NewTenantAsync();
        var b = await fixture.NewTenantAsync();
        var inA = await a.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada" }, idempotencyKey: "same-key");
        var inB = await b.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Bea" }, idempotencyKey: "same-key");
        Assert.Equal("Ada", (await a.Admin.Contacts.GetAsync(inA.Id)).GetString("firstName"));
        Assert.Equal("Bea", (await b.Admin.Contacts.GetAsync(inB.Id)).GetString("firstName"));
    }

    [Fact]
    public async Task A_batch_of_good_and_bad_rows_creates_the_good_ones_and_answers_a_problem_per_bad_row()
    {
        var tenant = await fixture.NewTenantAsync();
        var contacts = tenant.Admin.Contacts;
        var existing = await contacts.CreateAsync(new JsonObject { ["firstName"] = "Existing", ["email"] = "taken@example.com" });
        existing = await contacts.PatchAsync(existing.Id, new JsonObject { ["title"] = "Before the batch" });
        var items = new JsonArray(
            TestData.Obj("""{"firstName":"Row0"}"""),
            TestData.Obj("""{"firstName":"Row1","email":"not-an-email"}"""),
            42,
            TestData.Obj("""{"id":"c-batch-3","firstName":"Row3"}"""),
            TestData.Obj("""{"firstName":"Row4","lastName":5}"""),
            new JsonObject { ["id"] = existing.Id, ["title"] = "Updated by row 5" },
            new JsonObject { ["id"] = existing.Id, ["version"] = 1, ["title"] = "Stale row 6" },
            TestData.Obj("""{"firstName":"Row7","email":"row7@example.com"}"""),
            TestData.Obj("""{"firstName":"Row8","email":"Taken@Example.com"}"""),
            new JsonObject());
        var raw = await fixture.Server.SendAsync(HttpMethod.Post, "api/v1/contacts/batch", tenant.AdminKey, new JsonObject { ["items"] = items }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, raw.Status);
        var results = raw.Json["results"]!.AsArray().Select(r => r!.AsObject()).ToList();

        Assert.Equal(Enumerable.Range(0, 10), results.Select(r => r["index"]!.GetValue<int>()));
        Assert.Equal([201, 400, 400, 201, 400, 200, 412, 201, 409, 400], results.Select(r => r["status"]!.GetValue<int>()));
        Assert.Equal(4, raw.Json["succeeded"]!.GetValue<int>());
        Assert.Equal(6, raw.Json["failed"]!.GetValue<int>());
        Assert.True(results[1]["errors"]!.AsObject().ContainsKey("email"), results[1].ToJsonString());
        Assert.True(results[4]["errors"]!.AsObject().ContainsKey("lastName"), results[4].ToJsonString());
        Assert.Equal(ProblemTypes.Conflict, results[6]["type"]!.GetValue<string>());
        Assert.Equal(ProblemTypes.Duplicate, results[8]["type"]!.GetValue<string>());
        Assert.Equal(existing.Id, results[8]["existingId"]!.GetValue<string>());
        Assert.Equal("c-batch-3", results[3]["id"]!.GetValue<string>());
        Assert.All(results.Where(r => r["status"]!.GetValue<int>() >= 400), r => Assert.NotNull(r["detail"]));

        var all = await contacts.AllAsync();
        Assert.Equal(["Existing", "Row0", "Row3", "Row7"], all.Select(c => c.GetString("firstName")).Order());
        foreach (var created in results.Where(r => r["status"]!.GetValue<int>() == 201))
        {
            Assert.Equal(created["version"]!.GetValue<long>(), (await contacts.GetAsync(created["id"]!.GetValue<string>())).Version);
        }

        var updated = await contacts.GetAsync(existing.Id);
        Assert.Equal("Updated by row 5", updated.GetString("title"));
        Assert.Equal(3, updated.Version);
    }

    [Fact]
    public async Task Rows_of_one_batch_that_touch_one_record_apply_in_row_order()
    {
        var tenant = await fixture.NewTenantAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var id = "c-ordered-" + attempt;
            var result = await tenant.Admin.Contacts.BatchAsync(
            [
                new JsonObject { ["id"] = id, ["firstName"] = "Ada" },
                new JsonObject { ["id"] = id, ["title"] = "first" },
                new JsonObject { ["id"] = id, ["title"] = "second" },
                new JsonObject { ["id"] = id, ["title"] = "third" },
            ], TestData.Cancel);

            Assert.Equal([201, 200, 200, 200], result.Results.Select(r => r.Status));
            Assert.Equal("third", (await tenant.Admin.Contacts.GetAsync(id)).GetString("title"));
        }
    }

    [Fact]
    public async Task A_batch_of_more_than_1000_rows_is_refused_whole()
    {
        var tenant = await fixture.NewTenantAsync();
        var error = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Tasks.BatchAsync(
            Enumerable.Range(0, 1001).Select(i => new JsonObject { ["title"] = "T" + i }), TestData.Cancel));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("items", error.Errors.Keys);
        Assert.Empty(await tenant.Admin.Tasks.AllAsync());
    }

    [Fact]
    public async Task Upsert_by_external_id_creates_then_updates_the_same_record()
    {
        var tenant = await fixture.NewTenantAsync();
        var first = await tenant.Admin.Contacts.UpsertByExternalIdAsync("crm-7", new JsonObject { ["firstName"] = "Ada", ["title"] = "Miss" });
        Assert.True(first.Created);
        Assert.Equal("crm-7", first.Record.GetString("externalId"));
        Assert.NotNull(first.Record.Location);

        var second = await tenant.Admin.Contacts.UpsertByExternalIdAsync("crm-7", new JsonObject { ["title"] = "Countess" });
        Assert.False(second.Created);
        Assert.Equal(first.Record.Id, second.Record.Id);
        Assert.Equal("Countess", second.Record.GetString("title"));
        Assert.Equal("Ada", second.Record.GetString("firstName"));

        var raw = await fixture.Server.SendAsync(HttpMethod.Put, "api/v1/accounts/by-external-id/erp-1", tenant.AdminKey, """{"name":"Acme"}""");
        Assert.Equal(HttpStatusCode.Created, raw.Status);
        raw = await fixture.Server.SendAsync(HttpMethod.Put, "api/v1/accounts/by-external-id/erp-1", tenant.AdminKey, """{"name":"Acme Ltd"}""");
        Assert.Equal(HttpStatusCode.OK, raw.Status);
        Assert.Equal("Acme Ltd", Assert.Single(await tenant.Admin.Accounts.AllAsync()).GetString("name"));
    }

    [Fact]
    public async Task Concurrent_upserts_of_one_external_id_make_one_record()
    {
        var tenant = await fixture.NewTenantAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            tenant.Admin.Deals.UpsertByExternalIdAsync("opp-99", new JsonObject { ["name"] = "Big deal", ["amount"] = 1000 + i }, TestData.Cancel)));

        Assert.Single(answers.Select(a => a.Record.Id).Distinct());
        Assert.Single(answers, a => a.Created);
        var deal = Assert.Single(await tenant.Admin.Deals.AllAsync());
        Assert.Equal("opp-99", deal.GetString("externalId"));
        Assert.Single(await tenant.Admin.Deals.IdsAsync("externalId eq \"opp-99\""));
    }
}
