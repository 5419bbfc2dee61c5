using System.Text.Json.Nodes;
using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task Get_returns_the_row_written_with_the_events()
    {
        var store = await NewStoreAsync();
        var row = Row(
            RecordTypes.Deal,
            "d-1",
            new JsonObject { ["name"] = "Big deal", ["amount"] = 1250.5, ["stage"] = "proposal" },
            "Big deal",
            keys: [new UniqueClaim("deal.externalId", "X-9")],
            links: [new RecordLink(RecordTypes.Account, "acme"), new RecordLink(RecordTypes.Contact, "ada", "champion")],
            version: 1);

        await SaveAsync(store, row);
        var read = await store.ReadModel.GetAsync(Tenant, RecordTypes.Deal, "d-1", Ct);

        Assert.NotNull(read);
        Assert.Equal(row.Type, read.Type);
        Assert.Equal(row.Id, read.Id);
        Assert.Equal(row.Version, read.Version);
        Assert.False(read.Deleted);
        Assert.Equal(row.CreatedAt, read.CreatedAt);
        Assert.Equal(row.UpdatedAt, read.UpdatedAt);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(row.DataJson), JsonNode.Parse(read.DataJson)));
        Assert.Equal(row.UniqueClaims, read.UniqueClaims);
        Assert.Equal(row.Links.OrderBy(l => l.TargetType), read.Links.OrderBy(l => l.TargetType));
        Assert.Null(await store.ReadModel.GetAsync(Tenant, RecordTypes.Deal, "d-2", Ct));
        Assert.Null(await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "d-1", Ct));
    }

    [Fact]
    public async Task An_update_replaces_the_row_and_its_links()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Row(RecordTypes.Task, "t-1", new JsonObject { ["title"] = "Call" }, links: [new RecordLink(RecordTypes.Contact, "ada")]));

        await SaveAsync(store, Row(RecordTypes.Task, "t-1", new JsonObject { ["title"] = "Call back" }, links: [new RecordLink(RecordTypes.Contact, "bob")], version: 2), expectedVersion: 1);
        var read = await store.ReadModel.GetAsync(Tenant, RecordTypes.Task, "t-1", Ct);

        Assert.Equal(2, read!.Version);
        Assert.Equal("Call back", JsonNode.Parse(read.DataJson)!["title"]!.GetValue<string>());
        Assert.Equal([new RecordLink(RecordTypes.Contact, "bob")], read.Links);
    }

    [Fact]
    public async Task An_append_without_a_row_leaves_the_row_as_it_was()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", email: "ada@example.com"));

        await store.AppendAsync(Request("contact/ada", 1), Ct);
        var read = await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "ada", Ct);

        Assert.Equal(1, read!.Version);
        Assert.Equal("ada", await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "ada@example.com"), Ct));
    }

    /// <summary>Five contacts with fields of every kind; some missing, one null, one a string where others hold numbers.</summary>
    private static async Task SeedPeopleAsync(IEventStore store)
    {
        await SaveAsync(store, Row(RecordTypes.Contact, "c1", new JsonObject
        {
            ["lastName"] = "Adams", ["age"] = 30, ["score"] = 4.5, ["rank"] = 3, ["code"] = "delta", ["status"] = "open",
            ["active"] = true, ["tags"] = new JsonArray("vip", "eu"), ["custom"] = new JsonObject { ["region"] = "north" },
        }));
        await SaveAsync(store, Row(RecordTypes.Contact, "c2", new JsonObject
        {
            ["lastName"] = "baker", ["age"] = 45, ["score"] = 3.25, ["rank"] = 1, ["code"] = "alpha", ["status"] = "closed",
            ["active"] = false, ["tags"] = new JsonArray("us"), ["custom"] = new JsonObject { ["region"] = "south" },
        }));
        await SaveAsync(store, Row(RecordTypes.Contact, "c3", new JsonObject
        {
            ["lastName"] = "Carter", ["age"] = 22, ["rank"] = 5, ["code"] = "echo", ["status"] = "open", ["email"] = "carter@Example.com",
        }));
        await SaveAsync(store, Row(RecordTypes.Contact, "c4", new JsonObject
        {
            ["lastName"] = "Davis", ["age"] = "unknown", ["rank"] = 2, ["code"] = "bravo", ["status"] = null,
            ["tags"] = new JsonArray("VIP"), ["custom"] = new JsonObject { ["region"] = "north" },
        }));
        await SaveAsync(store, Row(RecordTypes.Contact, "c5", new JsonObject
        {
            ["lastName"] = "Evans", ["rank"] = 4, ["code"] = "charlie", ["status"] = "pending",
        }));
    }

    private static Task<List<string>> WhereAsync(IEventStore store, Filter filter) => IdsAsync(store, new RecordQuery { Filter = filter });

    [Fact]
    public async Task Query_filters_with_eq_and_ne()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);

        Assert.Equal(["c1", "c3"], await WhereAsync(store, Filter.Eq("status", "open")));
        Assert.Equal(["c1"], await WhereAsync(store, Filter.Eq("age", 30)));
        Assert.Equal(["c1"], await WhereAsync(store, Filter.Eq("age", 30.0)));
        Assert.Equal(["c1"], await WhereAsync(store, Filter.Eq("active", true)));
        Assert.Equal(["c2"], await WhereAsync(store, Filter.Eq("active", false)));
        Assert.Equal(["c1", "c4"], await WhereAsync(store, Filter.Eq("custom.region", "north")));
        Assert.Equal(["c4"], await WhereAsync(store, Filter.Eq("status", null)));
        Assert.Equal(["c1", "c2", "c4", "c5"], await WhereAsync(store, Filter.Eq("email", null)));
        Assert.Empty(await WhereAsync(store, Filter.Eq("age", "30")));
        Assert.Equal(["c2", "c4", "c5"], await WhereAsync(store, Filter.Compare("status", FilterOperator.Ne, "open")));
    }

    [Fact]
    public async Task Query_orders_numbers_numerically_and_strings_as_text()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);

        Assert.Equal(["c1", "c2"], await WhereAsync(store, Filter.Compare("age", FilterOperator.Gt, 25)));
        Assert.Equal(["c1", "c3"], await WhereAsync(store, Filter.Compare("age", FilterOperator.Le, 30)));
        Assert.Equal(["c2"], await WhereAsync(store, Filter.Compare("age", FilterOperator.Ge, 45)));
        Assert.Empty(await WhereAsync(store, Filter.Compare("age", FilterOperator.Lt, 22)));
        Assert.Equal(["c2"], await WhereAsync(store, Filter.Compare("score", FilterOperator.Lt, 4)));
        Assert.Equal(["c1", "c2", "c3"], await WhereAsync(store, Filter.Compare("age", FilterOperator.Ge, 9.5)));
        Assert.Equal(["c2", "c5"], await WhereAsync(store, Filter.Compare("code", FilterOperator.Lt, "bravo") | Filter.Compare("code", FilterOperator.Eq, "charlie")));
        Assert.Equal(["c1", "c3"], await WhereAsync(store, Filter.Compare("code", FilterOperator.Ge, "delta")));
    }

    [Fact]
    public async Task Query_filters_with_in()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);

        Assert.Equal(["c1", "c3", "c5"], await WhereAsync(store, Filter.Compare("status", FilterOperator.In, new[] { "open", "pending" })));
        Assert.Equal(["c2", "c3"], await WhereAsync(store, Filter.Compare("age", FilterOperator.In, new[] { 22, 45 })));
        Assert.Empty(await WhereAsync(store, Filter.Compare("status", FilterOperator.In, Array.Empty<string>())));
    }

    [Fact]
    public async Task Query_contains_matches_substrings_and_array_members_ignoring_case()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);

        Assert.Equal(["c3"], await WhereAsync(store, Filter.Compare("lastName", FilterOperator.Contains, "AR")));
        Assert.Equal(["c1", "c4"], await WhereAsync(store, Filter.Compare("tags", FilterOperator.Contains, "vip")));
        Assert.Equal(["c2"], await WhereAsync(store, Filter.Compare("tags", FilterOperator.Contains, "us")));
        Assert.Empty(await WhereAsync(store, Filter.Compare("tags", FilterOperator.Contains, "v")));
    }

    [Fact]
    public async Task Query_starts_with_ignores_case()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);

        Assert.Equal(["c2"], await WhereAsync(store, Filter.Compare("lastName", FilterOperator.StartsWith, "BA")));
        Assert.Equal(["c4"], await WhereAsync(store, Filter.Compare("lastName", FilterOperator.StartsWith, "d")));
        Assert.Equal(["c3"], await WhereAsync(store, Filter.Compare("email", FilterOperator.StartsWith, "carter@example")));
        Assert.Empty(await WhereAsync(store, Filter.Compare("lastName", FilterOperator.StartsWith, "%")));
    }

    [Fact]
    public async Task Query_exists_matches_fields_that_are_present()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);

        Assert.Equal(["c1", "c2", "c4"], await WhereAsync(store, Filter.Compare("custom.region", FilterOperator.Exists, null)));
        Assert.Equal(["c3"], await WhereAsync(store, Filter.Compare("email", FilterOperator.Exists, null)));
    }

    [Fact]
    public async Task Query_combines_filters_with_and_or_not()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);

        Assert.Equal(["c1"], await WhereAsync(store, Filter.Eq("status", "open") & Filter.Compare("age", FilterOperator.Gt, 25)));
        Assert.Equal(["c1", "c2", "c4"], await WhereAsync(store, Filter.Eq("status", "closed") | Filter.Eq("custom.region", "north")));
        Assert.Equal(["c2", "c4", "c5"], await WhereAsync(store, !Filter.Eq("status", "open")));
        Assert.Equal(["c3", "c4", "c5"], await WhereAsync(store, !Filter.Compare("age", FilterOperator.Gt, 25)));
        Assert.Equal(["c2", "c3", "c5"], await WhereAsync(store, !Filter.Compare("tags", FilterOperator.Contains, "vip")));
        Assert.Equal(["c1", "c3"], await WhereAsync(store, new AndFilter([Filter.Eq("status", "open"), new OrFilter([Filter.Eq("age", 30), Filter.Eq("age", 22)])])));
    }

    [Fact]
    public async Task Query_sorts_by_a_field_ascending_and_descending()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);

        Assert.Equal(["c2", "c4", "c1", "c5", "c3"], await IdsAsync(store, new RecordQuery { SortBy = "rank" }));
        Assert.Equal(["c3", "c5", "c1", "c4", "c2"], await IdsAsync(store, new RecordQuery { SortBy = "rank", Descending = true }));
        Assert.Equal(["c2", "c4", "c5", "c1", "c3"], await IdsAsync(store, new RecordQuery { SortBy = "code" }));
        Assert.Equal(["c1", "c2", "c3", "c4", "c5"], await IdsAsync(store, new RecordQuery()));
        Assert.Equal(["c5", "c4", "c3", "c2", "c1"], await IdsAsync(store, new RecordQuery { Descending = true }));
        Assert.Equal(["c3", "c1"], await IdsAsync(store, new RecordQuery { Filter = Filter.Eq("status", "open"), SortBy = "age" }));
    }

    [Fact]
    public async Task Cursor_paging_visits_every_row_exactly_once()
    {
        var store = await NewStoreAsync();
        await Task.WhenAll(Enumerable.Range(0, 250).Select(i =>
        {
            var data = new JsonObject { ["n"] = i };
            if (i % 10 != 0)
            {
                // Many ties, and some rows without the sort field at all.
                data["bucket"] = i % 7;
            }

            return SaveAsync(store, Row(RecordTypes.Contact, $"p{i:D3}", data));
        }));
        var expected = Enumerable.Range(0, 250).Select(i => $"p{i:D3}").ToList();

        foreach (var query in new[]
        {
            new RecordQuery { Limit = 17 },
            new RecordQuery { Limit = 17, Descending = true },
            new RecordQuery { Limit = 17, SortBy = "bucket" },
            new RecordQuery { Limit = 17, SortBy = "bucket", Descending = true },
            new RecordQuery { Limit = 1000, SortBy = "n" },
        })
        {
            var visited = await AllPagesAsync(store, query);
            Assert.Equal(expected, visited.Order());
        }

        Assert.Equal(expected, await AllPagesAsync(store, new RecordQuery { Limit = 17, SortBy = "n" }));
        // Concurrent creates may commit in any order; newest-first must be exactly oldest-first reversed.
        var oldestFirst = await AllPagesAsync(store, new RecordQuery { Limit = 17 });
        Assert.Equal(Enumerable.Reverse(oldestFirst), await AllPagesAsync(store, new RecordQuery { Limit = 17, Descending = true }));
    }

    [Fact]
    public async Task Cursor_paging_stays_stable_while_rows_are_added()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 30; i++)
        {
            await SaveAsync(store, Row(RecordTypes.Contact, $"a{i:D2}", new JsonObject { ["bucket"] = i % 3 }));
        }

        var visited = new List<string>();
        var query = new RecordQuery { Limit = 7, SortBy = "bucket" };
        string? cursor = null;
        var added = 0;
        do
        {
            var page = await store.ReadModel.QueryAsync(Tenant, RecordTypes.Contact, query with { Cursor = cursor }, Ct);
            visited.AddRange(page.Items.Select(r => r.Id));
            cursor = page.Next;
            await SaveAsync(store, Row(RecordTypes.Contact, $"b{added++:D2}", new JsonObject { ["bucket"] = added % 3 }));
        }
        while (cursor is not null);

        Assert.Equal(visited.Count, visited.Distinct().Count());
        Assert.Superset(Enumerable.Range(0, 30).Select(i => $"a{i:D2}").ToHashSet(), visited.ToHashSet());
    }

    [Fact]
    public async Task Deleted_rows_are_left_out_unless_asked_for()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("live", "Live", "One"));
        await SaveAsync(store, Contact("gone", "Gone", "Two"));
        await SaveAsync(store, Contact("gone", "Gone", "Two", deleted: true, version: 2), expectedVersion: 1);

        Assert.Equal(["live"], await IdsAsync(store, new RecordQuery()));
        Assert.Equal(["live", "gone"], await IdsAsync(store, new RecordQuery { IncludeDeleted = true }));
        Assert.Empty(await IdsAsync(store, new RecordQuery { Text = "gone" }));
        Assert.Equal(["gone"], await IdsAsync(store, new RecordQuery { Text = "gone", IncludeDeleted = true }));
        var gone = await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "gone", Ct);
        Assert.True(gone!.Deleted);
    }

    [Fact]
    public async Task Fields_of_the_linked_account_filter_contacts_and_a_contact_without_one_has_them_missing()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Row(RecordTypes.Account, "soft", new JsonObject { ["name"] = "Soft", ["industry"] = "Software", ["size"] = 500 }));
        await SaveAsync(store, Row(RecordTypes.Account, "shop", new JsonObject { ["name"] = "Shop", ["industry"] = "Retail", ["size"] = 20 }));
        await SaveAsync(store, Row(RecordTypes.Account, "gone", new JsonObject { ["name"] = "Gone", ["industry"] = "Software" }));
        await SaveAsync(store, Row(RecordTypes.Account, "gone", new JsonObject { ["name"] = "Gone", ["industry"] = "Software" }, deleted: true, version: 2), expectedVersion: 1);
        await SaveAsync(store, Row(RecordTypes.Contact, "ann", new JsonObject { ["firstName"] = "Ann", ["accountId"] = "soft" }));
        await SaveAsync(store, Row(RecordTypes.Contact, "ben", new JsonObject { ["firstName"] = "Ben", ["accountId"] = "shop" }));
        await SaveAsync(store, Row(RecordTypes.Contact, "cat", new JsonObject { ["firstName"] = "Cat" }));
        await SaveAsync(store, Row(RecordTypes.Contact, "dan", new JsonObject { ["firstName"] = "Dan", ["accountId"] = "gone" }));
        await SaveAsync(store, Row(RecordTypes.Contact, "eve", new JsonObject { ["firstName"] = "Eve", ["accountId"] = "soft" }));

        Assert.Equal(["ann", "eve"], (await WhereAsync(store, Filter.Eq("account.industry", "Software"))).Order());
        Assert.Equal(["ben", "cat", "dan"], (await WhereAsync(store, Filter.Compare("account.industry", FilterOperator.Ne, "Software"))).Order());
        Assert.Equal(["ben", "cat", "dan"], (await WhereAsync(store, !Filter.Eq("account.industry", "Software"))).Order());
        Assert.Equal(["cat", "dan"], (await WhereAsync(store, Filter.Eq("account.industry", null))).Order());
        Assert.Equal(["ann", "eve"], (await WhereAsync(store, Filter.Compare("account.size", FilterOperator.Gt, 100) & Filter.Compare("account.name", FilterOperator.StartsWith, "so"))).Order());
        Assert.Equal(["ann", "ben", "eve"], (await WhereAsync(store, Filter.Compare("account.id", FilterOperator.Exists, null) | Filter.Eq("account.id", "shop"))).Order());
        await Assert.ThrowsAsync<ArgumentException>(() => WhereAsync(store, Filter.Eq("account.account.industry", "x")));
    }

    [Fact]
    public async Task Count_counts_what_a_query_selects_whatever_its_page_size_and_cursor()
    {
        var store = await NewStoreAsync();
        await SeedPeopleAsync(store);
        await SaveAsync(store, Contact("ada", "Ada", "Adams"));
        await SaveAsync(store, Contact("gone", "Gone", "Adams"));
        await SaveAsync(store, Contact("gone", "Gone", "Adams", deleted: true, version: 2), expectedVersion: 1);

        Assert.Equal(6, await store.ReadModel.CountAsync(Tenant, RecordTypes.Contact, new RecordQuery { Limit = 1 }, Ct));
        Assert.Equal(7, await store.ReadModel.CountAsync(Tenant, RecordTypes.Contact, new RecordQuery { IncludeDeleted = true }, Ct));
        Assert.Equal(2, await store.ReadModel.CountAsync(Tenant, RecordTypes.Contact, new RecordQuery { Filter = Filter.Eq("status", "open") }, Ct));
        Assert.Equal(1, await store.ReadModel.CountAsync(Tenant, RecordTypes.Contact, new RecordQuery { Text = "adams" }, Ct));
        Assert.Equal(0, await store.ReadModel.CountAsync(Tenant, RecordTypes.Deal, new RecordQuery(), Ct));
        Assert.Equal(0, await store.ReadModel.CountAsync("someone-else", RecordTypes.Contact, new RecordQuery(), Ct));
    }

    [Theory]
    [InlineData("last name")]
    [InlineData("a..b")]
    [InlineData("1abc")]
    [InlineData("")]
    [InlineData("$.name")]
    [InlineData("tags[0]")]
    [InlineData("name'); DROP TABLE records; --")]
    [InlineData("name\n")]
    public async Task A_field_path_that_is_not_a_dotted_name_is_refused(string field)
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace"));

        var filter = await Assert.ThrowsAnyAsync<ArgumentException>(() => IdsAsync(store, new RecordQuery { Filter = Filter.Eq(field, "x") }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => IdsAsync(store, new RecordQuery { SortBy = field }));

        Assert.Contains(field, filter.Message, StringComparison.Ordinal);
        Assert.Equal(["ada"], await IdsAsync(store, new RecordQuery()));
    }

    [Fact]
    public async Task A_page_size_outside_1_to_1000_is_refused()
    {
        var store = await NewStoreAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => IdsAsync(store, new RecordQuery { Limit = 0 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => IdsAsync(store, new RecordQuery { Limit = 1001 }));
        Assert.Empty(await IdsAsync(store, new RecordQuery { Limit = 1000 }));
    }
}
