using Microsoft.Extensions.Options;

namespace Crm.Plugins.Email.Tests;

/// <summary>A tenant's own sender and SMTP settings over the plugin's defaults.</summary>
public sealed class SettingsTests
{
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
