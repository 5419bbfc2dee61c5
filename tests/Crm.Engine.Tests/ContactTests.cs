using System.Text.Json.Nodes;
using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

public sealed class ContactTests(EngineFixture fixture)
{
    [Fact]
    public async Task Create_normalises_email_and_phone_and_reads_back()
    {
        var crm = fixture.NewTenant();
        var created = await crm.CreateAsync(RecordTypes.Contact, Obj("""
            { "firstName": " Ann ", "lastName": "Lee", "email": "  Ann.Lee@Example.COM ", "phone": "(650) 253-0000",
              "company": "Acme", "tags": ["vip", "VIP", "trial"] }
            """));

        Assert.Equal(1, created.Version);
        var read = await crm.GetAsync(RecordTypes.Contact, created.Id);
        Assert.NotNull(read);
        Assert.Equal("Ann", read.GetString("firstName"));
        Assert.Equal("ann.lee@example.com", read.GetString("email"));
        Assert.Equal("+16502530000", read.GetString("phone"));
        Assert.Equal("lead", read.GetString("lifecycleStage"));
        Assert.Equal(["vip", "trial"], read.Fields["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(["ann.lee@example.com"], read.Fields["emails"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task Writing_email_replaces_the_primary_and_keeps_other_addresses()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "emails": ["a@x.com", "b@x.com"] }"""));
        Assert.Equal("a@x.com", c.GetString("email"));

        var updated = await crm.UpdateAsync(RecordTypes.Contact, c.Id, Obj("""{ "email": "c@x.com" }"""));
        Assert.Equal("c@x.com", updated.GetString("email"));
        Assert.Equal(["c@x.com", "b@x.com"], updated.Fields["emails"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Theory]
    [InlineData("""{ "firstName": 5 }""", "firstName")]
    [InlineData("""{ "email": "not-an-email" }""", "email")]
    [InlineData("""{ "lastName": "Lee", "custom": { "nope": 1 } }""", "custom.nope")]
    [InlineData("""{ "lastName": "Lee", "lifecycleStage": "champion" }""", "lifecycleStage")]
    [InlineData("""{ "lastName": "Lee", "phone": "12" }""", "phone")]
    [InlineData("""{ "lastName": "Lee", "shoeSize": 44 }""", "shoeSize")]
    [InlineData("""{ "title": "CEO" }""", "firstName")]
    public async Task Invalid_contact_is_rejected_naming_the_field_and_nothing_is_written(string body, string field)
    {
        var crm = fixture.NewTenant();
        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.CreateAsync(RecordTypes.Contact, Obj(body), id: "c1"));
        Assert.Contains(ex.Errors, e => e.Field == field);
        Assert.Null(await crm.GetAsync(RecordTypes.Contact, "c1"));
        Assert.Empty((await crm.GetHistoryAsync(RecordTypes.Contact, "c1")).Items);
        Assert.Empty((await crm.QueryAsync(RecordTypes.Contact, new RecordQuery())).Items);
    }

    [Fact]
    public async Task Oversize_text_is_rejected_naming_the_field()
    {
        var crm = fixture.NewTenant();
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = new string('x', 201) }));
        Assert.Equal("firstName", Assert.Single(ex.Errors).Field);
        Assert.Contains("200", ex.Errors[0].Message);
    }

    [Fact]
    public async Task Bad_update_changes_nothing()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Ann", "email": "ann@x.com" }"""));
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            crm.UpdateAsync(RecordTypes.Contact, c.Id, Obj("""{ "firstName": "Anna", "email": "broken@" }""")));
        Assert.Equal("email", Assert.Single(ex.Errors).Field);
        var read = await crm.GetAsync(RecordTypes.Contact, c.Id);
        Assert.Equal(1, read!.Version);
        Assert.Equal("Ann", read.GetString("firstName"));
    }

    [Fact]
    public async Task Two_racing_creates_with_the_same_email_make_exactly_one_record()
    {
        var crm = fixture.NewTenant();
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                return (Record: await crm.CreateAsync(RecordTypes.Contact, Obj($$"""{ "firstName": "R{{i}}", "email": "Same@Example.com" }""")), Error: (DuplicateRecordException?)null);
            }
            catch (DuplicateRecordException ex)
            {
                return (Record: (CrmRecord?)null, Error: ex);
            }
        })).ToList();
        var results = await Task.WhenAll(attempts);

        var winner = Assert.Single(results, r => r.Record is not null).Record!;
        Assert.All(results.Where(r => r.Error is not null), r =>
        {
            Assert.Equal("email", r.Error!.Field);
            Assert.Equal(winner.Id, r.Error.ExistingId);
        });
        var all = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery());
        Assert.Equal(winner.Id, Assert.Single(all.Items).Id);
    }

    [Fact]
    public async Task External_id_is_unique_per_tenant()
    {
        var crm = fixture.NewTenant();
        var first = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "lastName": "A", "externalId": "crm-1" }"""));
        var ex = await Assert.ThrowsAsync<DuplicateRecordException>(() =>
            crm.CreateAsync(RecordTypes.Contact, Obj("""{ "lastName": "B", "externalId": "crm-1" }""")));
        Assert.Equal(first.Id, ex.ExistingId);
        Assert.Equal("externalId", ex.Field);
    }

    [Fact]
    public async Task Five_hundred_concurrent_updates_are_all_applied_with_contiguous_versions()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "lastName": "Busy" }"""));
        await Task.WhenAll(Enumerable.Range(0, 500).Select(i =>
            Task.Run(() => crm.UpdateAsync(RecordTypes.Contact, c.Id, new JsonObject { ["title"] = $"title {i}" }))));

        var read = await crm.GetAsync(RecordTypes.Contact, c.Id);
        Assert.Equal(501, read!.Version);
        var versions = new List<long>();
        string? cursor = null;
        do
        {
            var page = await crm.GetHistoryAsync(RecordTypes.Contact, c.Id, cursor, 200);
            versions.AddRange(page.Items.Select(e => e.Version));
            cursor = page.Next;
        }
        while (cursor is not null);
        Assert.Equal(Enumerable.Range(1, 501).Select(v => (long)v), versions);
    }

    [Fact]
    public async Task Update_with_a_stale_version_is_rejected()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "lastName": "V" }"""));
        await crm.UpdateAsync(RecordTypes.Contact, c.Id, Obj("""{ "title": "one" }"""), new WriteOptions { ExpectedVersion = 1 });
        var ex = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            crm.UpdateAsync(RecordTypes.Contact, c.Id, Obj("""{ "title": "two" }"""), new WriteOptions { ExpectedVersion = 1 }));
        Assert.Equal(2, ex.ActualVersion);
        Assert.Equal("one", (await crm.GetAsync(RecordTypes.Contact, c.Id))!.GetString("title"));
    }

    [Fact]
    public async Task Same_id_in_two_tenants_is_two_records_and_search_never_crosses()
    {
        var a = fixture.NewTenant();
        var b = fixture.NewTenant();
        await a.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Zelda", "email": "zelda@a.com" }"""), id: "same");
        await b.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Yuri", "email": "zelda@a.com" }"""), id: "same");

        Assert.Equal("Zelda", (await a.GetAsync(RecordTypes.Contact, "same"))!.GetString("firstName"));
        Assert.Equal("Yuri", (await b.GetAsync(RecordTypes.Contact, "same"))!.GetString("firstName"));
        Assert.DoesNotContain((await b.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = "zelda" })).Items, r => r.GetString("firstName") == "Zelda");
        Assert.Single((await a.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = "zelda" })).Items);
    }

    [Fact]
    public async Task Delete_leaves_a_tombstone_and_restore_brings_the_record_back()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Del", "email": "del@x.com" }"""));
        await crm.DeleteAsync(RecordTypes.Contact, c.Id);

        Assert.Null(await crm.GetAsync(RecordTypes.Contact, c.Id));
        Assert.Empty((await crm.QueryAsync(RecordTypes.Contact, new RecordQuery())).Items);
        Assert.Single((await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { IncludeDeleted = true })).Items);
        await Assert.ThrowsAsync<RecordNotFoundException>(() => crm.UpdateAsync(RecordTypes.Contact, c.Id, Obj("""{ "title": "x" }""")));

        var restored = await crm.RestoreAsync(RecordTypes.Contact, c.Id);
        Assert.False(restored.Deleted);
        Assert.Equal("del@x.com", (await crm.GetAsync(RecordTypes.Contact, c.Id))!.GetString("email"));
        var types = (await crm.GetHistoryAsync(RecordTypes.Contact, c.Id)).Items.Select(e => e.Type);
        Assert.Equal(["record.created", "record.deleted", "record.restored"], types);
        // The restored record holds its email again.
        await Assert.ThrowsAsync<DuplicateRecordException>(() => crm.CreateAsync(RecordTypes.Contact, Obj("""{ "email": "del@x.com" }""")));
    }

    [Fact]
    public async Task Events_carry_the_audit_envelope()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Audit" }"""),
            options: new WriteOptions { CorrelationId = "corr-1", CausationId = "req-9" });
        var e = Assert.Single((await crm.GetHistoryAsync(RecordTypes.Contact, c.Id)).Items);
        Assert.NotEqual(Guid.Empty, e.EventId);
        Assert.Equal(crm.Tenant, e.Tenant);
        Assert.Equal($"contact/{c.Id}", e.StreamId);
        Assert.Equal(1, e.Version);
        Assert.Equal("record.created", e.Type);
        Assert.Equal(1, e.SchemaVersion);
        Assert.Equal(TimeSpan.Zero, e.Time.Offset);
        Assert.Equal(Actor.User("tester"), e.Actor);
        Assert.Equal("corr-1", e.CorrelationId);
        Assert.Equal("req-9", e.CausationId);
    }

    [Fact]
    public async Task Search_finds_contacts_by_name_prefix_email_phone_digits_and_company_word()
    {
        var crm = fixture.NewTenant();
        var target = await crm.CreateAsync(RecordTypes.Contact, Obj("""
            { "firstName": "Margaret", "lastName": "Hamilton", "email": "mh@apollo.nasa.gov", "phone": "+1 650 253 0000", "company": "Mission Control Systems" }
            """));
        await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Other", "email": "other@x.com", "company": "Else" }"""));

        foreach (var query in new[] { "marg", "Hamil", "mh@apollo.nasa.gov", "6502530000", "650253", "control", "margaret control" })
        {
            var page = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = query });
            Assert.True(page.Items.Count == 1 && page.Items[0].Id == target.Id, $"query '{query}' found {page.Items.Count}");
        }
    }

    [Fact]
    public async Task Searching_a_whole_email_finds_its_holder_only_and_a_partial_one_still_searches_text()
    {
        var crm = fixture.NewTenant();
        var ann = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Ann", "email": "ann@example.com" }"""));
        await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Jo", "email": "jo.ann@example.com" }"""));

        var exact = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = "ANN@example.com" });
        Assert.Equal(ann.Id, Assert.Single(exact.Items).Id);
        var filteredOut = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = "ann@example.com", Filter = Filter.Eq("firstName", "Jo") });
        Assert.Empty(filteredOut.Items);
        var partial = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = "ann@exam" });
        Assert.Equal(2, partial.Items.Count);
    }
}
