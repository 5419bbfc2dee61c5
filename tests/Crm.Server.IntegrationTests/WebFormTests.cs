using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;
using Crm.Plugins.Testing;

namespace Crm.Server.IntegrationTests;

/// <summary>The WebForms plugin, loaded from a plugins folder by a real server: forms, consent proof, races, honeypot, rate limit.</summary>
public sealed class WebFormTests : IAsyncLifetime
{
    private const string ConsentText = "Yes, send me the monthly newsletter. I can unsubscribe at any time.";
    private readonly TempDirectory _data = new();
    private readonly TestPluginFolder _plugins = new TestPluginFolder().AddFirstParty("Crm.Plugins.WebForms", "WebForms");
    private CrmServerInstance _server = null!;
    private TenantScope _tenant = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await CrmServerInstance.StartAsync(_data.Path, CrmServerInstance.NewKey(), TestContext.Current.CancellationToken,
            $"--Crm:Plugins:Folder={_plugins.Path}", "--Crm:Plugins:WebForms:PostsPerMinute=20");
        _tenant = await _server.NewTenantAsync(TestContext.Current.CancellationToken);
        var defined = await _server.SendAsync(HttpMethod.Put, "api/v1/plugins/WebForms/forms/newsletter", _tenant.AdminKey, new JsonObject
        {
            ["name"] = "Newsletter sign-up",
            ["fields"] = new JsonArray("firstName", "company"),
            ["consentPurpose"] = "newsletter",
            ["consentText"] = ConsentText,
            ["tags"] = new JsonArray("newsletter-form"),
            ["redirectUrl"] = "https://example.test/thanks",
        }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, defined.Status);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _plugins.Dispose();
        _data.Dispose();
    }

    private string PostUrl => $"p/WebForms/{_tenant.Id}/newsletter";

    private async Task<IReadOnlyList<ApiRecord>> ContactsAsync(string email) =>
        (await _tenant.Admin.Contacts.ListAsync(new ListQuery { Filter = $"email eq \"{email}\"" })).Items;

    [Fact]
    public async Task A_post_creates_a_contact_with_the_consent_it_gave_and_the_exact_text_as_proof()
    {
        var posted = await _server.SendAsync(HttpMethod.Post, PostUrl, null,
            """{"firstName":"Ada","email":" Ada@Example.com ","company":"Analytical","consent":true,"role":"ignored"}""");
        Assert.Equal(HttpStatusCode.OK, posted.Status);

        var ada = Assert.Single(await ContactsAsync("ada@example.com"));
        Assert.Equal(("Ada", "Analytical"), (ada.GetString("firstName"), ada.GetString("company")));
        Assert.Equal(["newsletter-form"], ada.Fields["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var check = await _server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{ada.Id}/consent/check?address=ada@example.com&purpose=newsletter&channel=email", _tenant.AdminKey);
        Assert.True(check.Json["allowed"]!.GetValue<bool>());
        Assert.Equal("web form newsletter", check.Json["decidingEntry"]!["source"]!.GetValue<string>());
        Assert.Contains(ConsentText, check.Json["decidingEntry"]!["proof"]!.GetValue<string>());
        var timeline = await _server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{ada.Id}/timeline", _tenant.AdminKey);
        Assert.Contains(timeline.Json["items"]!.AsArray(), e => e!["stream"]?.GetValue<string>()?.StartsWith("interaction/", StringComparison.Ordinal) == true);

        // Without the box ticked, a second post updates the contact and records no consent.
        await _server.SendAsync(HttpMethod.Post, PostUrl, null, """{"firstName":"Augusta","email":"ada@example.com"}""");
        var again = Assert.Single(await ContactsAsync("ada@example.com"));
        Assert.Equal("Augusta", again.GetString("firstName"));
        var consent = await _server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{ada.Id}/history", _tenant.AdminKey);
        Assert.Single(consent.Json["items"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "contact.consentRecorded");
    }

    [Fact]
    public async Task Racing_posts_with_one_email_make_one_contact()
    {
        var posts = Enumerable.Range(0, 6).Select(i => _server.SendAsync(HttpMethod.Post, PostUrl, null, $$"""{"firstName":"Racer{{i}}","email":"race@example.com"}"""));
        var answers = await Task.WhenAll(posts);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Single(await ContactsAsync("race@example.com"));
    }

    [Fact]
    public async Task A_filled_honeypot_stores_nothing_and_a_plain_form_post_is_redirected()
    {
        var bot = await _server.SendAsync(HttpMethod.Post, PostUrl, null, """{"firstName":"Bot","email":"bot@example.com","website":"http://spam.example"}""");
        Assert.Equal(HttpStatusCode.OK, bot.Status);
        Assert.Empty(await ContactsAsync("bot@example.com"));

        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _server.BaseAddress };
        var form = await noRedirects.PostAsync(PostUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["firstName"] = "Bea", ["email"] = "bea@example.com", ["consent"] = "on", ["website"] = "",
        }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, form.StatusCode);
        Assert.Equal("https://example.test/thanks", form.Headers.Location!.ToString());
        Assert.Single(await ContactsAsync("bea@example.com"));
    }

    [Fact]
    public async Task Bad_posts_and_form_definitions_are_refused_clearly()
    {
        var noEmail = await _server.SendAsync(HttpMethod.Post, PostUrl, null, """{"firstName":"Nobody"}""");
        Assert.Equal(HttpStatusCode.BadRequest, noEmail.Status);
        Assert.NotNull(noEmail.Json["errors"]!["email"]);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.SendAsync(HttpMethod.Post, $"p/WebForms/{_tenant.Id}/nope", null, """{"email":"x@example.com"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.SendAsync(HttpMethod.Post, "p/WebForms/no-such-tenant/newsletter", null, """{"email":"x@example.com"}""")).Status);

        var badForm = await _server.SendAsync(HttpMethod.Put, "api/v1/plugins/WebForms/forms/other", _tenant.AdminKey, """{"name":"X","fields":["password"],"consentPurpose":"newsletter"}""");
        Assert.Equal(HttpStatusCode.BadRequest, badForm.Status);
        Assert.NotNull(badForm.Json["errors"]!["fields"]);
        Assert.NotNull(badForm.Json["errors"]!["consentText"]);
        var agent = await _tenant.AddUserAsync(ApiRole.Agent);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.SendAsync(HttpMethod.Put, "api/v1/plugins/WebForms/forms/other", agent.Key, """{"name":"X"}""")).Status);
    }

    [Fact]
    public async Task Posts_beyond_the_rate_from_one_client_are_refused_with_429()
    {
        await _server.SendAsync(HttpMethod.Put, "api/v1/plugins/WebForms/forms/limited", _tenant.AdminKey, """{"name":"Limited"}""");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 21; i++)
        {
            statuses.Add((await _server.SendAsync(HttpMethod.Post, $"p/WebForms/{_tenant.Id}/limited", null, """{"email":"x@example.com","website":"bot"}""")).Status);
        }

        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }
}
