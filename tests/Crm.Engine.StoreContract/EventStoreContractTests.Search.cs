using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    private static async Task SeedSearchAsync(IEventStore store)
    {
        await SaveAsync(store, Contact("john", "John", "Doe", email: "john.doe@example.com", phoneE164: "+14155550123", company: "Acme Corp", tags: ["vip"]));
        await SaveAsync(store, Contact("jane", "Jane", "Doe", email: "jane.doe@example.com", phoneE164: "+14155559876", company: "Globex"));
        await SaveAsync(store, Contact("joanna", "Joanna", "Smith", email: "jo@smith.io", company: "Acme Corp", tags: ["partner"]));
        await SaveAsync(store, Contact("zoe", "Zoë", "Müller", email: "zoe@example.de", phoneE164: "+4930123456"));
    }

    private static Task<List<string>> SearchAsync(IEventStore store, string text) => IdsAsync(store, new RecordQuery { Text = text });

    [Fact]
    public async Task Search_finds_names_by_prefix()
    {
        var store = await NewStoreAsync();
        await SeedSearchAsync(store);

        Assert.Equal(["john", "joanna"], await SearchAsync(store, "jo"));
        Assert.Equal(["john", "jane"], await SearchAsync(store, "Doe"));
        Assert.Equal(["joanna"], await SearchAsync(store, "smi"));
        Assert.Equal(["zoe"], await SearchAsync(store, "muller"));
        Assert.Equal(["zoe"], await SearchAsync(store, "Zoë"));
        Assert.Empty(await SearchAsync(store, "johnny"));
    }

    [Fact]
    public async Task Search_finds_an_exact_email()
    {
        var store = await NewStoreAsync();
        await SeedSearchAsync(store);

        Assert.Equal(["john"], await SearchAsync(store, "john.doe@example.com"));
        Assert.Equal(["jane"], await SearchAsync(store, "JANE.DOE@EXAMPLE.COM"));
        Assert.Equal(["joanna"], await SearchAsync(store, "jo@smith"));
        Assert.Empty(await SearchAsync(store, "john.doe@example.org"));
    }

    [Fact]
    public async Task Search_finds_phone_numbers_by_their_digits()
    {
        var store = await NewStoreAsync();
        await SeedSearchAsync(store);

        Assert.Equal(["john"], await SearchAsync(store, "4155550123"));
        Assert.Equal(["john"], await SearchAsync(store, "14155550123"));
        Assert.Equal(["john", "jane"], await SearchAsync(store, "415555"));
        Assert.Equal(["john"], await SearchAsync(store, "+1 (415) 555-0123"));
        Assert.Equal(["jane"], await SearchAsync(store, "415-555-98"));
        Assert.Equal(["zoe"], await SearchAsync(store, "+4930123456"));
        Assert.Empty(await SearchAsync(store, "5550123"));
    }

    [Fact]
    public async Task Search_finds_company_words_and_tags()
    {
        var store = await NewStoreAsync();
        await SeedSearchAsync(store);

        Assert.Equal(["john", "joanna"], await SearchAsync(store, "acme"));
        Assert.Equal(["jane"], await SearchAsync(store, "globex"));
        Assert.Equal(["john"], await SearchAsync(store, "vip"));
        Assert.Equal(["joanna"], await SearchAsync(store, "partner"));
    }

    [Fact]
    public async Task Search_requires_every_word()
    {
        var store = await NewStoreAsync();
        await SeedSearchAsync(store);

        Assert.Equal(["john"], await SearchAsync(store, "jo acme vip"));
        Assert.Equal(["joanna"], await SearchAsync(store, "  acme   smith "));
        Assert.Empty(await SearchAsync(store, "jane acme"));
    }

    [Fact]
    public async Task Search_combines_with_filters_sorting_and_paging()
    {
        var store = await NewStoreAsync();
        await SeedSearchAsync(store);
        for (var i = 0; i < 30; i++)
        {
            await SaveAsync(store, Contact($"lead{i:D2}", "Lead", $"Number{i}", company: i % 2 == 0 ? "Acme Corp" : "Initech"));
        }

        Assert.Equal(["john"], await IdsAsync(store, new RecordQuery { Text = "acme", Filter = Filter.Eq("firstName", "John") }));
        Assert.Equal(["joanna", "john"], await IdsAsync(store, new RecordQuery { Text = "acme", Filter = !Filter.Eq("firstName", "Lead"), SortBy = "lastName", Descending = true, Limit = 2 }));
        var leads = await AllPagesAsync(store, new RecordQuery { Text = "lead acme", Limit = 4 });
        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"lead{i * 2:D2}"), leads);
        var sorted = await AllPagesAsync(store, new RecordQuery { Text = "lead", SortBy = "company", Limit = 7 });
        Assert.Equal(30, sorted.Distinct().Count());
    }

    [Fact]
    public async Task Search_follows_changes_to_a_record()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("ada", "Ada", "Byron"));

        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", version: 2), expectedVersion: 1);

        Assert.Equal(["ada"], await SearchAsync(store, "lovelace"));
        Assert.Empty(await SearchAsync(store, "byron"));
    }

    [Theory]
    [InlineData("\"")]
    [InlineData("AND (")]
    [InlineData("john AND")]
    [InlineData("OR NOT NEAR(")]
    [InlineData("*")]
    [InlineData("jo*")]
    [InlineData("'; DROP TABLE records; --")]
    [InlineData("^john")]
    [InlineData("firstName:john")]
    [InlineData("-john")]
    [InlineData("\"john\" \"")]
    [InlineData("{col1 col2} : x")]
    [InlineData("🎉 ✓ —")]
    [InlineData("\u0000")]
    [InlineData("   ")]
    public async Task Hostile_search_text_does_not_throw(string text)
    {
        var store = await NewStoreAsync();
        await SeedSearchAsync(store);

        var page = await store.ReadModel.QueryAsync(Tenant, RecordTypes.Contact, new RecordQuery { Text = text }, Ct);

        Assert.NotNull(page);
    }
}
