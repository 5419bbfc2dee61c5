using System.Net;
using System.Text.Json.Nodes;

namespace Crm.Server.IntegrationTests;

/// <summary>
/// <c>?q=</c>: every word must match as a token prefix, ignoring case and accents; an email matches whole, a phone by its
/// digits; whatever a user types is text, never search syntax, and never an error.
/// </summary>
public sealed class SearchTests(CrmServerFixture fixture)
{
    private static readonly SharedTenant<TenantScope> People = new(async server =>
    {
        var tenant = await server.NewTenantAsync(TestContext.Current.CancellationToken);
        var contacts = tenant.Admin.Contacts;
        await contacts.CreateAsync(TestData.Obj("""{ "id": "zoe", "firstName": "Zoë", "lastName": "Ångström", "email": "Zoe.Angstrom@Example.com", "phone": "+1 650-253-0000" }"""));
        await contacts.CreateAsync(TestData.Obj("""{ "id": "john", "firstName": "John", "lastName": "O'Brien", "email": "john.obrien@example.org", "company": "Acme Corp" }"""));
        await contacts.CreateAsync(TestData.Obj("""{ "id": "andrea", "firstName": "Andrea", "lastName": "Near", "email": "andrea@near.example" }"""));
        await contacts.CreateAsync(TestData.Obj("""{ "id": "ada", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958" }"""));
        await tenant.Admin.Accounts.CreateAsync(TestData.Obj("""{ "id": "engines", "name": "Analytical Engines", "domain": "engines.example" }"""));
        return tenant;
    });

    private static readonly (string Q, string Expected)[] Semantics =
    [
        // token prefix, any order, every word
        ("ang", "zoe"),
        ("lovel", "ada"),
        ("zoe angstrom", "zoe"),
        ("angstrom zoe", "zoe"),
        ("zoe lovelace", ""),
        ("brien", "john"),
        ("o'brien", "john"),
        ("acme", "john"),
        // case and accents
        ("ANGSTROM", "zoe"),
        ("ångström", "zoe"),
        ("ZOË", "zoe"),
        ("zoe", "zoe"),
        ("ÁDA", "ada"),
        // emails
        ("zoe.angstrom@example.com", "zoe"),
        ("ZOE.ANGSTROM@EXAMPLE.COM", "zoe"),
        ("zoe.angstrom@exa", "zoe"),
        ("ada@example.com", "ada"),
        ("example.com", "ada zoe"),
        // phones by digits, in any punctuation
        ("+1 650-253-0000", "zoe"),
        ("16502530000", "zoe"),
        ("6502530000", "zoe"),
        ("(650) 253-0000", "zoe"),
        ("650 253 0000", "zoe"),
        ("+44 20 7946 0958", "ada"),
        ("442079460958", "ada"),
        ("020 7946 0958", "ada"),
        // search syntax is text
        ("AND", "andrea"),
        ("and", "andrea"),
        ("NEAR", "andrea"),
        ("NEAR(", "andrea"),
        ("NEAR(ada", ""),
        ("NEAR(ada, 5)", ""),
        ("ada OR zoe", ""),
        ("ada NOT lovelace", ""),
        ("ada AND lovelace", ""),
        ("\"ada\"", "ada"),
        ("\"ada", "ada"),
        ("ada*", "ada"),
        ("-ada", "ada"),
        ("^ada", "ada"),
        ("(ada", "ada"),
        ("ada)", "ada"),
        ("firstName:ada", ""),
        ("*", ""),
        ("\"", ""),
        ("\"\"", ""),
        ("'", ""),
        ("%", ""),
        ("_", ""),
        ("{}", ""),
        ("\\", ""),
        ("'; DROP TABLE records; --", ""),
        ("a AND b OR c NOT d", ""),
        ("🙂", ""),
    ];

    /// <summary>Cases the engine's search does not meet yet, with the gap in one line (reported to its owner).</summary>
    private static readonly Dictionary<string, string> KnownGaps = new()
    {
    };

    public static IEnumerable<TheoryDataRow<string, string>> SemanticsRows() =>
        Semantics.Select(c => KnownGaps.TryGetValue(c.Q, out var gap)
            ? new TheoryDataRow<string, string>(c.Q, c.Expected) { Skip = "engine gap: " + gap }
            : new TheoryDataRow<string, string>(c.Q, c.Expected));

    [Theory]
    [MemberData(nameof(SemanticsRows))]
    public async Task Search_finds_what_a_person_would_expect_and_never_fails(string q, string expected)
    {
        var tenant = await People.GetAsync(fixture.Server);
        var raw = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/contacts?q=" + Uri.EscapeDataString(q), tenant.AdminKey);
        Assert.True(raw.Status == HttpStatusCode.OK, raw.ToString());
        var ids = raw.Json["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>());
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(), ids.Order());
    }

    [Fact]
    public async Task Search_works_on_other_resources_and_with_paging()
    {
        var tenant = await People.GetAsync(fixture.Server);
        Assert.Equal(["engines"], await tenant.Admin.Accounts.IdsAsync(q: "analyt"));
        Assert.Equal(["engines"], await tenant.Admin.Accounts.IdsAsync(q: "ENGINES"));
        var paged = await tenant.Admin.Contacts.ListAllAsync(new Crm.Engine.Client.ListQuery { Q = "example", Limit = 1 }, TestData.Cancel).ToListAsync(TestData.Cancel);
        Assert.Equal(["ada", "andrea", "john", "zoe"], paged.Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Search_follows_changes_and_deletes()
    {
        var tenant = await fixture.NewTenantAsync();
        var c = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Marie", ["lastName"] = "Sklodowska" });
        Assert.Equal([c.Id], await tenant.Admin.Contacts.IdsAsync(q: "sklodowska"));
        await tenant.Admin.Contacts.PatchAsync(c.Id, new JsonObject { ["lastName"] = "Curie" });
        Assert.Empty(await tenant.Admin.Contacts.IdsAsync(q: "sklodowska"));
        Assert.Equal([c.Id], await tenant.Admin.Contacts.IdsAsync(q: "curie"));
        await tenant.Admin.Contacts.DeleteAsync(c.Id);
        Assert.Empty(await tenant.Admin.Contacts.IdsAsync(q: "curie"));
    }
}
