using Microsoft.Extensions.DependencyInjection;
using Crm.Engine.Plugins;
using Crm.Engine;
using Microsoft.Extensions.Options;

namespace Crm.Plugins.Email.Tests;

/// <summary>The plugin's settings: checked at start-up with their paths, and a tenant's own over the defaults.</summary>
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

    [Fact]
    public void A_tenant_s_own_sender_and_smtp_settings_win_over_the_defaults_one_by_one()
    {
        var options = new EmailPluginOptions
        {
            From = "Acme <hello@acme.test>",
            Smtp = new SmtpOptions { Host = "smtp.acme.test", Port = 587, UserName = "acme", Password = "p1" },
            Tenants = { ["beta"] = new EmailTenantOptions { From = "Beta <news@beta.test>", Smtp = new SmtpOptions { UserName = "beta", Password = "p2" } } },
        };
        var settings = new EmailSettings(Options.Create(options));

        var beta = settings.ForTenant("beta");
        var other = settings.ForTenant("other");

        Assert.Equal(("news@beta.test", "beta.test", "news@beta.test"), (beta.From.Address, beta.MessageIdDomain, beta.Bounce.Address));
        Assert.Equal(("smtp.acme.test", 587, "beta", "p2"), (beta.Smtp.Host, beta.Smtp.Port, beta.Smtp.UserName, beta.Smtp.Password));
        Assert.Equal(("hello@acme.test", "acme.test", "acme"), (other.From.Address, other.MessageIdDomain, other.Smtp.UserName));
    }
}
