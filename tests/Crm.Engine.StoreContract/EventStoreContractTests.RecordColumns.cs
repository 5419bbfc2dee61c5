using System.Text.Json.Nodes;
using Crm.Engine.Filtering;
using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

/// <summary>
/// <c>createdAt</c>, <c>updatedAt</c>, <c>id</c> and <c>version</c> are kept beside a record's fields, not in them;
/// filters and sorting name them like any field. Times compare as instants: a value is a date (<c>yyyy-MM-dd</c>,
/// midnight UTC at its start) or an ISO 8601 date and time with any offset.
/// </summary>
public abstract partial class EventStoreContractTests
{
    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    /// <summary>Saves <paramref name="row"/> through as many appends as its version says, so the version is the stream's.</summary>
    private static async Task SaveAtVersionAsync(IEventStore store, RecordRow row)
    {
        for (var version = 1L; version <= row.Version; version++)
        {
            await SaveAsync(store, row with { Version = version }, expectedVersion: version - 1);
        }
    }

    private static RecordRow Timed(string id, DateTimeOffset createdAt, DateTimeOffset updatedAt, long version = 1, string? name = null) =>
        Row(RecordTypes.Contact, id, new JsonObject { ["lastName"] = name ?? id.ToUpperInvariant() }, searchText: name ?? id, version: version)
            with { CreatedAt = createdAt, UpdatedAt = updatedAt };

    /// <summary>Written in the order m, b, x, a, k: neither the ids, the times nor the versions follow that order.</summary>
    private static async Task SeedTimedAsync(IEventStore store)
    {
        await SaveAtVersionAsync(store, Timed("m", Utc(2024, 3, 1, 9), Utc(2024, 3, 2, 9), version: 3));
        await SaveAtVersionAsync(store, Timed("b", Utc(2024, 1, 15, 12), Utc(2024, 6, 1, 8)));
        await SaveAtVersionAsync(store, Timed("x", Utc(2024, 3, 1, 9), Utc(2024, 3, 1, 9).AddTicks(1), version: 2));
        await SaveAtVersionAsync(store, Timed("a", Utc(2024, 5, 1), Utc(2024, 5, 1)));
        await SaveAtVersionAsync(store, Timed("k", Utc(2024, 1, 1).AddTicks(-1), Utc(2024, 2, 1), version: 5));
    }

    [Fact]
    public async Task Query_filters_createdAt_as_an_instant()
    {
        var store = await NewStoreAsync();
        await SeedTimedAsync(store);

        Assert.Equal(["m", "x"], await WhereAsync(store, Filter.Eq("createdAt", "2024-03-01T09:00:00.0000000Z")));
        Assert.Equal(["m", "x"], await WhereAsync(store, Filter.Eq("createdAt", "2024-03-01T10:00:00+01:00")));
        Assert.Equal(["b", "a", "k"], await WhereAsync(store, Filter.Compare("createdAt", FilterOperator.Ne, "2024-03-01T09:00:00Z")));
        Assert.Equal(["a"], await WhereAsync(store, Filter.Compare("createdAt", FilterOperator.Ge, "2024-05-01")));
        Assert.Empty(await WhereAsync(store, Filter.Compare("createdAt", FilterOperator.Gt, "2024-05-01")));
        Assert.Equal(["m", "b", "x", "k"], await WhereAsync(store, Filter.Compare("createdAt", FilterOperator.Lt, "2024-05-01")));
        Assert.Equal(["m", "b", "x", "k"], await WhereAsync(store, Filter.Compare("createdAt", FilterOperator.Le, "2024-03-01T09:00:00Z")));
        Assert.Equal(["k"], await WhereAsync(store, Filter.Compare("createdAt", FilterOperator.Lt, "2024-01-01")));
        Assert.Equal(["b", "a"], await WhereAsync(store, Filter.Compare("createdAt", FilterOperator.In, new[] { "2024-01-15T12:00:00Z", "2024-05-01" })));
        Assert.Equal(["b", "k"], await WhereAsync(store, !Filter.Compare("createdAt", FilterOperator.Ge, "2024-03-01")));
    }

    [Fact]
    public async Task Query_filters_updatedAt_to_the_tick()
    {
        var store = await NewStoreAsync();
        await SeedTimedAsync(store);

        Assert.Equal(["x"], await WhereAsync(store, Filter.Eq("updatedAt", "2024-03-01T09:00:00.0000001Z")));
        Assert.Equal(["m", "b", "a"], await WhereAsync(store, Filter.Compare("updatedAt", FilterOperator.Gt, "2024-03-01T09:00:00.0000001Z")));
        Assert.Equal(["m", "b", "x", "a"], await WhereAsync(store, Filter.Compare("updatedAt", FilterOperator.Ge, "2024-03-01T09:00:00Z")));
        Assert.Equal(["k"], await WhereAsync(store, Filter.Compare("updatedAt", FilterOperator.Le, "2024-02-01T00:00:00-00:00")));
    }

    [Fact]
    public async Task Query_filters_record_columns_written_in_the_filter_language()
    {
        var store = await NewStoreAsync();
        await SeedTimedAsync(store);
        var now = Utc(2024, 5, 15, 12);

        Task<List<string>> Where(string text) => WhereAsync(store, FilterLanguage.Parse(text, now));

        Assert.Equal(["m", "x"], await Where("createdAt ge 2024-03-01 and createdAt lt 2024-04-01"));
        Assert.Equal(["a"], await Where("createdAt ge now-30d"));
        Assert.Equal(["b", "a"], await Where("updatedAt ge today-14d"));
        Assert.Equal(["m", "x", "k"], await Where("version ge 2 and id ne \"b\""));
        Assert.Equal(["b", "a"], await Where("not (version gt 1 or createdAt lt 2024-01-01T00:00:00Z)"));
    }

    [Fact]
    public async Task Query_filters_id_as_text_and_version_as_a_number()
    {
        var store = await NewStoreAsync();
        await SeedTimedAsync(store);

        Assert.Equal(["b"], await WhereAsync(store, Filter.Eq("id", "b")));
        Assert.Equal(["a", "k"], await WhereAsync(store, Filter.Compare("id", FilterOperator.In, new[] { "a", "k", "zz" })));
        Assert.Equal(["b", "a"], await WhereAsync(store, Filter.Compare("id", FilterOperator.Lt, "k")));
        Assert.Equal(["m"], await WhereAsync(store, Filter.Compare("id", FilterOperator.StartsWith, "M")));
        Assert.Equal(["x"], await WhereAsync(store, Filter.Compare("id", FilterOperator.Contains, "X")));
        Assert.Empty(await WhereAsync(store, Filter.Eq("id", 1)));

        Assert.Equal(["m"], await WhereAsync(store, Filter.Eq("version", 3)));
        Assert.Equal(["m", "x", "k"], await WhereAsync(store, Filter.Compare("version", FilterOperator.Ge, 2)));
        Assert.Equal(["b", "x", "a"], await WhereAsync(store, Filter.Compare("version", FilterOperator.Lt, 2.5)));
        Assert.Equal(["b", "a", "k"], await WhereAsync(store, Filter.Compare("version", FilterOperator.In, new[] { 1, 5 })));
        Assert.Empty(await WhereAsync(store, Filter.Eq("version", "3")));
        Assert.Equal(["m", "b", "x", "a", "k"], await WhereAsync(store, Filter.Compare("version", FilterOperator.Ne, "3")));
    }

    [Fact]
    public async Task Record_columns_always_exist_and_are_never_null()
    {
        var store = await NewStoreAsync();
        await SeedTimedAsync(store);

        foreach (var field in new[] { "createdAt", "updatedAt", "id", "version" })
        {
            Assert.Equal(["m", "b", "x", "a", "k"], await WhereAsync(store, Filter.Compare(field, FilterOperator.Exists, null)));
            Assert.Empty(await WhereAsync(store, Filter.Eq(field, null)));
            Assert.Equal(["m", "b", "x", "a", "k"], await WhereAsync(store, Filter.Compare(field, FilterOperator.Ne, null)));
        }
    }

    [Fact]
    public async Task Query_sorts_by_record_columns_with_ties_in_creation_order()
    {
        var store = await NewStoreAsync();
        await SeedTimedAsync(store);

        Assert.Equal(["k", "b", "m", "x", "a"], await IdsAsync(store, new RecordQuery { SortBy = "createdAt" }));
        Assert.Equal(["a", "x", "m", "b", "k"], await IdsAsync(store, new RecordQuery { SortBy = "createdAt", Descending = true }));
        Assert.Equal(["k", "x", "m", "a", "b"], await IdsAsync(store, new RecordQuery { SortBy = "updatedAt" }));
        Assert.Equal(["a", "b", "k", "m", "x"], await IdsAsync(store, new RecordQuery { SortBy = "id" }));
        Assert.Equal(["x", "m", "k", "b", "a"], await IdsAsync(store, new RecordQuery { SortBy = "id", Descending = true }));
        Assert.Equal(["b", "a", "x", "m", "k"], await IdsAsync(store, new RecordQuery { SortBy = "version" }));
        Assert.Equal(["m", "x"], await IdsAsync(store, new RecordQuery { SortBy = "updatedAt", Descending = true, Filter = Filter.Eq("createdAt", "2024-03-01T09:00:00Z") }));
    }

    [Fact]
    public async Task Query_sorts_search_results_by_record_columns()
    {
        var store = await NewStoreAsync();
        await SaveAtVersionAsync(store, Timed("s1", Utc(2024, 2, 1), Utc(2024, 2, 1), version: 2, name: "Smith"));
        await SaveAtVersionAsync(store, Timed("s2", Utc(2024, 1, 1), Utc(2024, 3, 1), version: 1, name: "Smithers"));
        await SaveAtVersionAsync(store, Timed("j1", Utc(2023, 1, 1), Utc(2023, 1, 1), version: 1, name: "Jones"));
        await SaveAtVersionAsync(store, Timed("s3", Utc(2024, 3, 1), Utc(2024, 1, 1), version: 3, name: "Smithson"));

        Assert.Equal(["s2", "s1", "s3"], await IdsAsync(store, new RecordQuery { Text = "smith", SortBy = "createdAt" }));
        Assert.Equal(["s2", "s1", "s3"], await IdsAsync(store, new RecordQuery { Text = "smith", SortBy = "updatedAt", Descending = true }));
        Assert.Equal(["s3", "s1"], await IdsAsync(store, new RecordQuery { Text = "smith", SortBy = "version", Descending = true, Filter = Filter.Compare("version", FilterOperator.Gt, 1) }));
    }

    [Fact]
    public async Task Cursor_paging_by_record_columns_visits_every_row_once_in_order()
    {
        var store = await NewStoreAsync();
        var rows = new List<RecordRow>();
        for (var i = 0; i < 60; i++)
        {
            // Many equal times and versions, so ties must be broken the same way on every page.
            var created = Utc(2024, 1, 1).AddDays(i % 7);
            var row = Timed($"r{(i * 37) % 60:D2}", created, created.AddHours(i % 4), version: i % 3 + 1);
            rows.Add(row);
            await SaveAtVersionAsync(store, row);
        }

        var inOrder = rows.Select((row, rid) => (row, rid)).ToList();
        foreach (var (field, key) in new (string, Func<RecordRow, IComparable>)[]
        {
            ("createdAt", r => r.CreatedAt),
            ("updatedAt", r => r.UpdatedAt),
            ("id", r => r.Id),
            ("version", r => r.Version),
        })
        {
            var ascending = inOrder.OrderBy(x => key(x.row)).ThenBy(x => x.rid).Select(x => x.row.Id).ToList();
            Assert.Equal(ascending, await AllPagesAsync(store, new RecordQuery { SortBy = field, Limit = 7 }));
            Assert.Equal(Enumerable.Reverse(ascending), await AllPagesAsync(store, new RecordQuery { SortBy = field, Descending = true, Limit = 7 }));
        }

        var recent = inOrder.Where(x => x.row.CreatedAt >= Utc(2024, 1, 4)).OrderBy(x => x.row.Version).ThenBy(x => x.rid).Select(x => x.row.Id).ToList();
        Assert.Equal(recent, await AllPagesAsync(store, new RecordQuery
        {
            SortBy = "version",
            Limit = 4,
            Filter = Filter.Compare("createdAt", FilterOperator.Ge, "2024-01-04"),
        }));
    }

    [Theory]
    [InlineData("createdAt", FilterOperator.Eq, "\"yesterday\"")]
    [InlineData("createdAt", FilterOperator.Ge, "\"2024-13-01\"")]
    [InlineData("updatedAt", FilterOperator.Lt, "5")]
    [InlineData("updatedAt", FilterOperator.In, "[\"2024-01-01\", true]")]
    [InlineData("createdAt", FilterOperator.Contains, "\"2024\"")]
    [InlineData("updatedAt", FilterOperator.StartsWith, "\"2024\"")]
    [InlineData("version", FilterOperator.StartsWith, "\"1\"")]
    [InlineData("version", FilterOperator.Gt, "true")]
    [InlineData("id", FilterOperator.StartsWith, "1")]
    [InlineData("id", FilterOperator.Eq, "[\"a\"]")]
    public async Task A_record_column_compared_with_a_value_it_cannot_hold_is_refused(string field, FilterOperator op, string valueJson)
    {
        var store = await NewStoreAsync();
        await SeedTimedAsync(store);

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => WhereAsync(store, new Comparison(field, op, valueJson)));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }
}
