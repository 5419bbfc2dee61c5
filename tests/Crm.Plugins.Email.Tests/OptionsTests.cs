using Microsoft.Extensions.Options;

namespace Crm.Plugins.Email.Tests;

/// <summary>The plugin's settings: checked at start-up with their paths, and a tenant's own over the defaults.</summary>
public sealed class OptionsTests(MailServers.MailServers servers)
{
    [Fact]
    public async Task An_invalid_setting_stops_the_start_and_names_its_configuration_path()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => EmailTestBed.StartAsync(servers, mailbox: true, configure: s =>
        {
            s.Remove("Crm:Plugins:Email:From");
            s["Crm:Plugins:Email:Smtp:Port"] = "70000";
            s["Crm:Plugins:Email:LinkSecret"] = "short";
            s["Crm:Plugins:Email:Mailboxes:0:Tenant"] = null;
        }));

        var message = error is OptionsValidationException v ? string.Join("\n", v.Failures) : error.ToString();
        Assert.Contains("Crm:Plugins:Email:From is required", message);
        Assert.Contains("Crm:Plugins:Email:Smtp:Port must be between 1 and 65535", message);
        Assert.Contains("Crm:Plugins:Email:LinkSecret must be at least 32 characters", message);
        Assert.Contains("Crm:Plugins:Email:Mailboxes:0:Tenant is required", message);
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
