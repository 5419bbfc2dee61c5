using System.Text.RegularExpressions;
using Fluid;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Crm.Plugins.Email;

/// <summary>Checks the plugin's options at start-up; every error names its configuration path.</summary>
internal sealed partial class EmailOptionsValidation(string section) : IValidateOptions<EmailPluginOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailPluginOptions o)
    {
        var errors = new List<string>();
        void Error(string path, string message) => errors.Add($"{section}:{path} {message}");

        if (string.IsNullOrWhiteSpace(o.From)) Error("From", "is required: the sender of outbound mail, e.g. \"Acme <hello@acme.example>\".");
        Address(o.From, "From");
        Address(o.ReplyTo, "ReplyTo");
        Address(o.BounceAddress, "BounceAddress");
        Domain(o.MessageIdDomain, "MessageIdDomain");
        Smtp(o.Smtp, "Smtp", required: true);
        foreach (var (tenant, t) in o.Tenants)
        {
            Address(t.From, $"Tenants:{tenant}:From");
            Address(t.ReplyTo, $"Tenants:{tenant}:ReplyTo");
            Address(t.BounceAddress, $"Tenants:{tenant}:BounceAddress");
            Domain(t.MessageIdDomain, $"Tenants:{tenant}:MessageIdDomain");
            Smtp(t.Smtp, $"Tenants:{tenant}:Smtp", required: false);
        }

        if (o.PublicBaseUrl is not null && (!Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            Error("PublicBaseUrl", "must be an absolute http(s) URL.");
        }

        if (o.LinkSecret is { Length: < 32 }) Error("LinkSecret", "must be at least 32 characters.");
        var parser = new FluidParser();
        foreach (var (path, template) in new[] { ("OptIn:Subject", o.OptIn.Subject), ("OptIn:Body", o.OptIn.Body), ("OptIn:Html", o.OptIn.Html) })
        {
            if (template is not null && !parser.TryParse(template, out _, out var error)) Error(path, "is not a valid Liquid template: " + error);
        }

        if (o.OptIn.LinkLifetime <= TimeSpan.Zero) Error("OptIn:LinkLifetime", "must be positive.");
        if (!o.UnsubscribeFooter.Contains("{url}", StringComparison.Ordinal)) Error("UnsubscribeFooter", "must contain {url}.");

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < o.Mailboxes.Count; i++)
        {
            var m = o.Mailboxes[i];
            var at = $"Mailboxes:{i}";
            if (string.IsNullOrWhiteSpace(m.Tenant)) Error(at + ":Tenant", "is required: the tenant the mailbox's mail belongs to.");
            if (string.IsNullOrWhiteSpace(m.Host)) Error(at + ":Host", "is required.");
            if (string.IsNullOrWhiteSpace(m.UserName)) Error(at + ":UserName", "is required.");
            if (m.Password is null) Error(at + ":Password", "is required.");
            if (m.Port is < 1 or > 65535) Error(at + ":Port", "must be between 1 and 65535.");
            if (string.IsNullOrWhiteSpace(m.Folder)) Error(at + ":Folder", "must name a folder.");
            if (m.PollInterval <= TimeSpan.Zero || m.PollInterval > TimeSpan.FromDays(1)) Error(at + ":PollInterval", "must be between 0 and 1 day.");
            if (m.BatchSize is < 1 or > 1000) Error(at + ":BatchSize", "must be between 1 and 1000.");
            Address(m.SupportAddress, at + ":SupportAddress");
            if (m.Name is not null && m.Key != m.Name) Error(at + ":Name", "may hold only letters, digits, '.', '_', '-' and '@' (at most 100).");
            if (m.Key.Length > 0 && !names.Add(m.Key)) Error(at + ":Name", $"'{m.Key}' names another mailbox too; give each mailbox its own Name.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Address(string? value, string path)
        {
            if (value is not null && (!MailboxAddress.TryParse(value, out var parsed) || !parsed.Address.Contains('@'))) Error(path, $"'{value}' is not an e-mail address.");
        }

        void Domain(string? value, string path)
        {
            if (value is not null && !DomainPattern().IsMatch(value)) Error(path, $"'{value}' is not a domain name.");
        }

        void Smtp(SmtpOptions s, string path, bool required)
        {
            if (required && string.IsNullOrWhiteSpace(s.Host)) Error(path + ":Host", "is required: the SMTP server outbound mail goes through.");
            if (s.Port is < 1 or > 65535) Error(path + ":Port", "must be between 1 and 65535.");
            if (s.Timeout is { } t && (t <= TimeSpan.Zero || t > TimeSpan.FromMinutes(10))) Error(path + ":Timeout", "must be between 0 and 10 minutes.");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex DomainPattern();
}
