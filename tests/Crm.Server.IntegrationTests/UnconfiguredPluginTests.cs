using System.Net;
using Crm.Plugins.Testing;

namespace Crm.Server.IntegrationTests;

/// <summary>The first-party plugins as installs get them wrong: a plugin lacking settings or a library is reported and skipped, the server runs.</summary>
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

    [Fact]
    public async Task An_email_plugin_folder_missing_its_mail_library_is_reported_as_a_missing_dependency_and_the_others_serve()
    {
        using var data = new TempDirectory();
        using var plugins = new TestPluginFolder()
            .AddFirstParty("Crm.Plugins.Email", "Email")
            .AddFirstParty("Crm.Plugins.Webhooks", "Webhooks")
            .AddFirstParty("Crm.Plugins.Sms", "Sms");
        // A copy that lost a file on the way to the server: the plugin is configured, its MailKit is gone.
        File.Delete(Path.Combine(plugins.Path, "Email", "MailKit.dll"));
        await using var server = await CrmServerInstance.StartAsync(data.Path, CrmServerInstance.NewKey(), TestContext.Current.CancellationToken,
            $"--Crm:Plugins:Folder={plugins.Path}",
            "--Crm:Plugins:Email:From=Acme <hello@acme.test>", "--Crm:Plugins:Email:Smtp:Host=127.0.0.1", "--Crm:Plugins:Email:Smtp:Port=2525");

        var catalog = await server.SendAsync(HttpMethod.Get, "api/v1/plugins", server.BootstrapKey);

        var states = catalog.Json["items"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!);
        Assert.Equal("failed", states["Email"]["state"]!.GetValue<string>());
        Assert.Equal("missing_dependency", states["Email"]["reason"]!.GetValue<string>());
        Assert.Contains("MailKit", states["Email"]["error"]!.GetValue<string>());
        Assert.All(new[] { "Webhooks", "Sms" }, name => Assert.Equal("loaded", states[name]["state"]!.GetValue<string>()));
        // Nothing of the e-mail plugin is served; the webhooks plugin answers its routes.
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Post, "api/v1/plugins/Email/opt-in", server.BootstrapKey, "{}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "api/v1/plugins/Webhooks/subscriptions", server.BootstrapKey)).Status);
    }
}
