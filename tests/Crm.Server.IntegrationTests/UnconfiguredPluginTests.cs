using System.Net;
using Crm.Plugins.Testing;

namespace Crm.Server.IntegrationTests;

/// <summary>The first-party plugins as a fresh install has them: a plugin that needs settings it lacks is reported and skipped, the server runs.</summary>
public sealed class UnconfiguredPluginTests
{
    [Fact]
    public async Task An_unconfigured_email_plugin_is_reported_and_skipped_and_the_others_load()
    {
        using var data = new TempDirectory();
        using var plugins = new TestPluginFolder()
            .AddFirstParty("Crm.Plugins.Email", "Email")
            .AddFirstParty("Crm.Plugins.WebForms", "WebForms")
            .AddFirstParty("Crm.Plugins.Webhooks", "Webhooks")
            .AddFirstParty("Crm.Plugins.Sms", "Sms");
        await using var server = await CrmServerInstance.StartAsync(data.Path, CrmServerInstance.NewKey(), TestContext.Current.CancellationToken,
            $"--Crm:Plugins:Folder={plugins.Path}");

        var catalog = await server.SendAsync(HttpMethod.Get, "api/v1/plugins", server.BootstrapKey);

        Assert.Equal(HttpStatusCode.OK, catalog.Status);
        var states = catalog.Json["items"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!);
        Assert.Equal("failed", states["Email"]["state"]!.GetValue<string>());
        Assert.Contains("Crm:Plugins:Email:From is required", states["Email"]["error"]!.GetValue<string>());
        Assert.All(new[] { "WebForms", "Webhooks", "Sms" }, name => Assert.Equal("loaded", states[name]["state"]!.GetValue<string>()));
    }
}
