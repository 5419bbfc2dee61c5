using Microsoft.Extensions.DependencyInjection;
using Crm.Engine.Plugins;
using Crm.Engine;

namespace Crm.Plugins.Email.IntegrationTests;

/// <summary>The plugin's settings are checked when it loads, naming each configuration path.</summary>
public sealed class OptionsTests(MailServers.MailServers servers)
{
    [Fact]
    public async Task Invalid_settings_skip_the_plugin_naming_each_configuration_path_and_the_engine_runs_on()
    {
        await using var bed = await EmailTestBed.StartAsync(servers, mailbox: true, configure: s =>
        {
            s.Remove("Crm:Plugins:Email:From");
            s["Crm:Plugins:Email:Smtp:Port"] = "70000";
            s["Crm:Plugins:Email:LinkSecret"] = "short";
            s["Crm:Plugins:Email:Mailboxes:0:Tenant"] = null;
        });

        var email = Assert.Single(bed.Engine.Services.GetRequiredService<PluginCatalog>().Plugins, p => p.Name == "Email");
        Assert.Equal(PluginState.Failed, email.State);
        Assert.Contains("Crm:Plugins:Email:From is required", email.Error);
        Assert.Contains("Crm:Plugins:Email:Smtp:Port must be between 1 and 65535", email.Error);
        Assert.Contains("Crm:Plugins:Email:LinkSecret must be at least 32 characters", email.Error);
        Assert.Contains("Crm:Plugins:Email:Mailboxes:0:Tenant is required", email.Error);
        await bed.Crm.CreateAsync(RecordTypes.Contact, new System.Text.Json.Nodes.JsonObject { ["firstName"] = "Still here" });
    }
}
