using Microsoft.Extensions.Options;
using MimeKit;

namespace Crm.Plugins.Email;

/// <summary>What one tenant sends with: its sender, bounce and Message-ID domain, and its SMTP server.</summary>
internal sealed record TenantSender(
    MailboxAddress From,
    MailboxAddress? ReplyTo,
    MailboxAddress Bounce,
    string MessageIdDomain,
    SmtpOptions Smtp);

/// <summary>The plugin's validated options, with each tenant's settings resolved over the defaults.</summary>
internal sealed class EmailSettings(IOptions<EmailPluginOptions> options)
{
    public EmailPluginOptions Options => options.Value;

    public TenantSender ForTenant(string tenant)
    {
        var o = options.Value;
        var own = o.Tenants.GetValueOrDefault(tenant);
        var from = MailboxAddress.Parse(own?.From ?? o.From!);
        var replyTo = (own?.ReplyTo ?? o.ReplyTo) is { } r ? MailboxAddress.Parse(r) : null;
        var bounce = (own?.BounceAddress ?? o.BounceAddress) is { } b ? MailboxAddress.Parse(b) : from;
        var domain = own?.MessageIdDomain ?? o.MessageIdDomain ?? DomainOf(from.Address);
        var smtp = (own?.Smtp ?? new SmtpOptions()).Over(o.Smtp);
        return new TenantSender(from, replyTo, bounce, domain, smtp);
    }

    public static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..].ToLowerInvariant();
}
