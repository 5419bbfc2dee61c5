using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>The filter language through <c>?filter=</c> (docs/filters.md): what matches, and errors that point at the spot.</summary>
public sealed class FilterTests(CrmServerFixture fixture)
{
    private static readonly SharedTenant<TenantScope> Contacts = new(async server =>
    {
        var tenant = await server.NewTenantAsync(TestContext.Current.CancellationToken);
        var admin = tenant.Admin;
        await admin.Settings.DefineCustomFieldAsync("contacts", "score", new JsonObject { ["type"] = "number" });
        await admin.Settings.DefineCustomFieldAsync("contacts", "region", new JsonObject { ["type"] = "choice", ["choices"] = new JsonArray("EU", "UK", "US") });
        await admin.Contacts.CreateAsync(TestData.Obj("""
            { "id": "c-ada", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "lifecycleStage": "lead",
              "title": "Countess", "tags": ["vip"], "custom": { "score": 90, "region": "EU" } }
            """));
        await admin.Contacts.CreateAsync(TestData.Obj("""
            { "id": "c-grace", "firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com", "lifecycleStage": "customer",
              "title": "Rear Admiral", "tags": ["navy", "vip"], "custom": { "score": 70, "region": "US" } }
            """));
        await admin.Contacts.CreateAsync(TestData.Obj("""
            { "id": "c-alan", "firstName": "Alan", "lastName": "Turing", "phone": "+44 20 7946 0958", "lifecycleStage": "mql",
              "title": "Intern", "custom": { "region": "UK" } }
            """));
        await admin.Contacts.CreateAsync(TestData.Obj("""
            { "id": "c-edsger", "firstName": "Edsger", "lastName": "Dijkstra", "email": "edsger@example.com", "lifecycleStage": "sql", "title": "Student" }
            """));
        await admin.Consent.SetAsync("c-ada", "newsletter", "email", new ConsentDecisionRequest { Status = "granted", Source = "form" });
        await admin.Consent.SetAsync("c-grace", "newsletter", "email", new ConsentDecisionRequest { Status = "withdrawn", Source = "unsubscribe link" });
        await admin.Deals.CreateAsync(TestData.Obj($$"""{ "id": "d-small", "name": "Small", "amount": 500, "closeDate": "{{DateTime.UtcNow.AddDays(-10):yyyy-MM-dd}}" }"""));
        await admin.Deals.CreateAsync(TestData.Obj($$"""{ "id": "d-big", "name": "Big", "amount": 25000.50, "closeDate": "{{DateTime.UtcNow.AddDays(10):yyyy-MM-dd}}" }"""));
        return tenant;
    });

    public static TheoryData<string, string> Matches => new()
    {
        { """lastName eq "Lovelace" """, "c-ada" },
        { """lastName eq 'Hopper'""", "c-grace" },
        { """firstName eq "ada" """, "" },
        { """lifecycleStage in ("mql", "sql")""", "c-alan c-edsger" },
        { """lifecycleStage ne "lead" """, "c-alan c-edsger c-grace" },
        { """tags contains "vip" """, "c-ada c-grace" },
        { """tags contains "VIP" """, "c-ada c-grace" },
        { """not tags contains "vip" """, "c-alan c-edsger" },
        { "email exists", "c-ada c-edsger c-grace" },
        { "not email exists", "c-alan" },
        { "email eq null", "c-alan" },
        { "phone exists and not email exists", "c-alan" },
        { "custom.score ge 80", "c-ada" },
        { "custom.score gt 60 and custom.score lt 80", "c-grace" },
        { """custom.score eq "90" """, "" },
        { """custom.region in ("EU", "UK")""", "c-ada c-alan" },
        { """consent.newsletter.email eq "granted" """, "c-ada" },
        { """not consent.newsletter.email eq "granted" """, "c-alan c-edsger c-grace" },
        { "consent.newsletter.email exists", "c-ada c-grace" },
        { """title startswith "rear" """, "c-grace" },
        { """title contains "ADMIR" """, "c-grace" },
        { """(lifecycleStage eq "lead" or lifecycleStage eq "customer") and tags contains "navy" """, "c-grace" },
        { """lifecycleStage eq "lead" or lifecycleStage eq "customer" and tags contains "navy" """, "c-ada c-grace" },
        { """NOT (title contains "intern" OR title contains "student")""", "c-ada c-grace" },
        { "createdAt ge now-1d", "c-ada c-alan c-edsger c-grace" },
        { "createdAt ge today-1d and createdAt lt now+1h", "c-ada c-alan c-edsger c-grace" },
        { "createdAt lt 2000-01-01", "" },
        { """updatedAt gt "2000-01-01T00:00:00Z" """, "c-ada c-alan c-edsger c-grace" },
        { "version gt 1", "c-ada c-grace" },
        { """id eq "c-alan" """, "c-alan" },
        { """id in ("c-ada", "c-alan", "c-nobody")""", "c-ada c-alan" },
        { "externalId eq null", "c-ada c-alan c-edsger c-grace" },
        { """firstName eq "Ada" and lastName eq "Lovelace" and email eq "ada@example.com" """, "c-ada" },
        { "  lastName\teq\n\"Turing\"  ", "c-alan" },
    };

    [Theory]
    [MemberData(nameof(Matches))]
    public async Task A_filter_selects_the_records_it_describes(string filter, string expected)
    {
        var tenant = await Contacts.GetAsync(fixture.Server);
        var ids = await tenant.Admin.Contacts.IdsAsync(filter);
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(), ids.Order());
    }

    [Theory]
    [InlineData("amount gt 10000", "d-big")]
    [InlineData("amount le 500", "d-small")]
    [InlineData("amount gt 10000 and closeDate ge today", "d-big")]
    [InlineData("closeDate lt today", "d-small")]
    [InlineData("""name startswith "b" or amount lt 1000""", "d-big d-small")]
    public async Task Deals_filter_by_numbers_and_dates(string filter, string expected)
    {
        var tenant = await Contacts.GetAsync(fixture.Server);
        Assert.Equal(expected.Split(' ').Order(), (await tenant.Admin.Deals.IdsAsync(filter)).Order());
    }

    [Fact]
    public async Task A_filter_combines_with_search_sorting_and_paging()
    {
        var tenant = await Contacts.GetAsync(fixture.Server);
        var sorted = await tenant.Admin.Contacts.ListAllAsync(new ListQuery { Filter = "email exists", Sort = "lastName", Limit = 1 }, TestData.Cancel).ToListAsync(TestData.Cancel);
        Assert.Equal(["Dijkstra", "Hopper", "Lovelace"], sorted.Select(c => c.GetString("lastName")));
        var descending = await tenant.Admin.Contacts.ListAllAsync(new ListQuery { Filter = "email exists", Sort = "-lastName", Limit = 2 }, TestData.Cancel).ToListAsync(TestData.Cancel);
        Assert.Equal(["Lovelace", "Hopper", "Dijkstra"], descending.Select(c => c.GetString("lastName")));
        Assert.Equal(["c-grace"], await tenant.Admin.Contacts.IdsAsync("tags contains \"vip\"", q: "hop"));
    }

    public static TheoryData<string, int> Errors => new()
    {
        { "lastName eq", 11 },
        { "lastName eq \"Ada", 12 },
        { "lastName equals \"Ada\"", 9 },
        { "lastName eq Ada", 12 },
        { "(a eq 1 or b eq 2", 0 },
        { "a eq 1)", 6 },
        { "a eq 1 b eq 2", 7 },
        { "status in \"open\"", 10 },
        { "closeDate ge 2024-13-01", 13 },
        { "createdAt ge now-30x", 13 },
        { "createdAt contains \"2024\"", 10 },
        { "a startswith 5", 13 },
        { "lastName eq \"Ada\" and", 21 },
        { "id eq 42", 6 },
        { "status in ()", 11 },
        { "a eq \"x\\q\"", 7 },
        { "1abc eq 1", 0 },
        { "a eq 1 and and b eq 2", 11 },
        { "a == 1", 2 },
        { "a eq 1 # comment", 7 },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task A_bad_filter_is_a_400_that_points_at_the_position(string filter, int position)
    {
        var tenant = await Contacts.GetAsync(fixture.Server);
        var before = await tenant.Admin.FingerprintAsync();

        var raw = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/contacts?filter=" + Uri.EscapeDataString(filter), tenant.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, raw.Status);
        Assert.True(raw.IsProblem, raw.ToString());
        Assert.Equal(ProblemTypes.Filter, raw.ProblemType);
        Assert.Equal(position, raw.Json["position"]!.GetValue<int>());
        Assert.EndsWith($"at position {position}", raw.Json["detail"]!.GetValue<string>());
        Assert.NotEmpty(raw.Json["errors"]!["filter"]!.AsArray());

        var typed = await Assert.ThrowsAsync<CrmApiException>(() => tenant.Admin.Contacts.ListAsync(new ListQuery { Filter = filter }));
        Assert.Equal(position, typed.Problem!["position"]!.GetValue<int>());
        Assert.Contains("filter", typed.Errors.Keys);
        Assert.Equal(before, await tenant.Admin.FingerprintAsync());
    }
}
