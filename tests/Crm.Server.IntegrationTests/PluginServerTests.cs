using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;
using Crm.Engine.Messaging;
using Crm.Plugins.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Server.IntegrationTests;

/// <summary>
/// A server of its own whose plugins folder (<c>Crm:Plugins:Folder</c>) holds the sample plugin, two web test plugins
/// and one broken plugin of every kind.
/// </summary>
public sealed class PluginServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new();

    public TestPluginFolder Plugins { get; } = new();

    public CrmServerInstance Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Plugins.AddSample()
            .AddTestPlugin("Web", "WebPlugin")
            .AddTestPlugin("BrokenEndpoints", "BrokenEndpointsPlugin")
            .AddTestPlugin("Throwing", "ThrowingPlugin")
            .AddTestPlugin("Future", "WebPlugin", minEngineVersion: "99.0.0")
            .AddMissingDependency()
            .AddManifestOnly("Broken", """{ "name": "Broken", "version": "1.0.0", "assembly": "../outside.dll", "entryType": "X" }""");
        Server = await CrmServerInstance.StartAsync(_data.Path, CrmServerInstance.NewKey(), TestContext.Current.CancellationToken,
            $"--Crm:Plugins:Folder={Plugins.Path}",
            $"--Crm:Plugins:CustomPlugin:Path={Plugins.File("messages.jsonl")}");
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _data.Dispose();
        Plugins.Dispose();
    }
}

public sealed class PluginServerTests(PluginServerFixture fixture) : IClassFixture<PluginServerFixture>
{
    private CrmServerInstance Server => fixture.Server;

    [Fact]
    public async Task Admins_see_what_loaded_and_what_failed_and_why()
    {
        var response = await Server.SendAsync(HttpMethod.Get, "api/v1/plugins", Server.BootstrapKey);
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("1.0.0", (string?)response.Json["engineVersion"]);
        var items = response.Json["items"]!.AsArray().Select(i => i!.AsObject()).ToDictionary(i => (string)i["name"]!);
        Assert.Equal(["Broken", "BrokenEndpoints", "CustomPlugin", "Future", "MissingDependency", "Throwing", "Web"], items.Keys.Order());

        var sample = items["CustomPlugin"];
        Assert.Equal("loaded", (string?)sample["state"]);
        Assert.Equal("CustomPlugin", (string?)sample["folder"]);
        Assert.Equal(["log"], Strings(sample["connectors"]));
        Assert.Equal(["custom-plugin.partner-tag"], Strings(sample["rules"]));
        Assert.Equal(["GET /api/v1/plugins/CustomPlugin/messages", "GET /p/CustomPlugin/ping"], Strings(sample["endpoints"]));

        AssertFailed(items["Throwing"], "configure_services", "ConfigureServices threw InvalidOperationException: no licence key in Crm:Plugins:Throwing:LicenceKey");
        AssertFailed(items["MissingDependency"], "missing_dependency", "Crm.TestPlugins.Unshipped");
        AssertFailed(items["Future"], "engine_version", "needs engine 99.0.0 or newer; this engine is 1.0.0");
        AssertFailed(items["Broken"], "manifest", "assembly '../outside.dll' must be the file name of a .dll in the plugin's folder");

        var broken = items["BrokenEndpoints"];
        Assert.Equal("loaded", (string?)broken["state"]);
        Assert.Empty(Strings(broken["endpoints"]));
        Assert.Equal("MapEndpoints threw InvalidOperationException: route table template missing", (string?)broken["endpointsError"]);
    }

    [Fact]
    public async Task Only_admins_may_list_the_plugins()
    {
        var tenant = await Server.NewTenantAsync(TestData.Cancel);
        var agent = await tenant.AddUserAsync(ApiRole.Agent, cancellationToken: TestData.Cancel);

        Assert.Equal(HttpStatusCode.OK, (await Server.SendAsync(HttpMethod.Get, "api/v1/plugins", tenant.AdminKey)).Status);
        var refused = await Server.SendAsync(HttpMethod.Get, "api/v1/plugins", agent.Key);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.True(refused.IsProblem);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Server.SendAsync(HttpMethod.Get, "api/v1/plugins", null)).Status);
    }

    [Fact]
    public async Task The_sample_plugin_answers_its_public_endpoint_and_serves_its_assets_without_a_key()
    {
        var ping = await Server.SendAsync(HttpMethod.Get, "p/CustomPlugin/ping", null);
        Assert.Equal(HttpStatusCode.OK, ping.Status);
        Assert.Equal("CustomPlugin", (string?)ping.Json["plugin"]);
        Assert.Equal("1.0.0", (string?)ping.Json["version"]);

        var page = await Server.SendAsync(HttpMethod.Get, "p/CustomPlugin/assets/index.html", null);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("text/html", page.MediaType);
        Assert.Contains("<h1>CustomPlugin</h1>", page.Body);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.SendAsync(HttpMethod.Get, "p/CustomPlugin/assets/missing.css", null)).Status);
    }

    [Fact]
    public async Task The_sample_plugin_s_rule_and_connector_work_and_its_api_endpoint_shows_a_tenant_its_own_messages()
    {
        var tenant = await Server.NewTenantAsync(TestData.Cancel);
        var other = await Server.NewTenantAsync(TestData.Cancel);
        var contact = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Pat", ["email"] = "pat@partner.example", ["source"] = "partner" },
            cancellationToken: TestData.Cancel);
        Assert.Contains("partner", contact.Fields["tags"]!.AsArray().Select(t => (string?)t));

        var log = Server.App.Services.GetServices<IMessageConnector>().Single(c => c.Channel == "log");
        await log.SendAsync(new OutboundMessage
        {
            MessageId = "welcome-" + contact.Id,
            Tenant = tenant.Id,
            Channel = "log",
            Purpose = "service",
            ContactId = contact.Id,
            To = "pat@partner.example",
            Body = "Welcome aboard",
        }, TestData.Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, (await Server.SendAsync(HttpMethod.Get, "api/v1/plugins/CustomPlugin/messages", null)).Status);
        var mine = await Server.SendAsync(HttpMethod.Get, "api/v1/plugins/CustomPlugin/messages", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.OK, mine.Status);
        var message = Assert.Single(JsonNode.Parse(mine.Body)!.AsArray());
        Assert.Equal("welcome-" + contact.Id, (string?)message!["messageId"]);
        var theirs = await Server.SendAsync(HttpMethod.Get, "api/v1/plugins/CustomPlugin/messages", other.AdminKey);
        Assert.Empty(JsonNode.Parse(theirs.Body)!.AsArray());
    }

    [Fact]
    public async Task A_plugin_endpoint_that_throws_answers_a_problem_and_the_server_carries_on()
    {
        var boom = await Server.SendAsync(HttpMethod.Get, "p/Web/boom", null);
        Assert.Equal(HttpStatusCode.InternalServerError, boom.Status);
        Assert.True(boom.IsProblem);
        Assert.Equal("urn:crm:problem:plugin_error", boom.ProblemType);
        Assert.Equal("Web", (string?)boom.Json["plugin"]);
        Assert.DoesNotContain("the plugin's handler broke", boom.Body);

        var tenant = await Server.NewTenantAsync(TestData.Cancel);
        var whoami = await Server.SendAsync(HttpMethod.Get, "api/v1/plugins/Web/whoami", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.OK, whoami.Status);
        Assert.Equal(tenant.Id, (string?)whoami.Json["tenant"]);
        Assert.Equal(HttpStatusCode.OK, (await Server.SendAsync(HttpMethod.Get, "health/ready", null)).Status);
    }

    [Fact]
    public async Task A_plugin_whose_MapEndpoints_throws_serves_none_of_its_routes_and_failed_plugins_serve_nothing()
    {
        var early = await Server.SendAsync(HttpMethod.Get, "p/BrokenEndpoints/early", null);
        Assert.Equal(HttpStatusCode.NotFound, early.Status);
        Assert.True(early.IsProblem);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.SendAsync(HttpMethod.Get, "p/Future/boom", null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Server.SendAsync(HttpMethod.Get, "p/CustomPlugin/ping", null)).Status);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_catalog_and_every_plugin_api_route()
    {
        var doc = (await Server.SendAsync(HttpMethod.Get, "openapi/v1.json", null)).Json;
        var documented = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(op => $"{op.Key.ToUpperInvariant()} {p.Key.TrimEnd('/')}"))
            .ToHashSet();
        var mapped = Server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m => $"{m} {"/" + e.RoutePattern.RawText!.Trim('/')}"))
            .ToHashSet();

        Assert.Contains("GET /api/v1/plugins", documented);
        Assert.Contains("GET /api/v1/plugins/Web/whoami", mapped);
        Assert.Empty(mapped.Except(documented));
    }

    private static void AssertFailed(JsonObject item, string reason, string error)
    {
        Assert.Equal("failed", (string?)item["state"]);
        Assert.Equal(reason, (string?)item["reason"]);
        Assert.Contains(error, (string?)item["error"]);
    }

    private static List<string?> Strings(JsonNode? array) => [.. array!.AsArray().Select(n => (string?)n)];
}
