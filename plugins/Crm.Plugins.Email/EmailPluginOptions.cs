namespace Crm.Plugins.Email;

/// <summary>The e-mail plugin's settings, section <c>Crm:Plugins:Email</c>.</summary>
public sealed class EmailPluginOptions
{
    /// <summary>The sender of every message (<c>"Acme &lt;hello@acme.example&gt;"</c>); a tenant may have its own.</summary>
    public string? From { get; set; }

    /// <summary>Where replies go, when not to <see cref="From"/>.</summary>
    public string? ReplyTo { get; set; }

    /// <summary>The SMTP envelope sender (where bounces go: best a mailbox the plugin reads); <see cref="From"/> when null.</summary>
    public string? BounceAddress { get; set; }

    /// <summary>The right-hand side of the <c>Message-ID</c>s the plugin makes; the domain of <see cref="From"/> when null.</summary>
    public string? MessageIdDomain { get; set; }

    /// <summary>The SMTP server messages go out through.</summary>
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Per-tenant settings; what a tenant leaves out comes from the settings above.</summary>
    public Dictionary<string, EmailTenantOptions> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>IMAP mailboxes read into the CRM, each for one tenant.</summary>
    public List<MailboxOptions> Mailboxes { get; set; } = [];

    /// <summary>The public address of the host (e.g. <c>https://crm.example.com</c>); confirmation links start with it.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The secret that signs confirmation links (at least 32 characters, the same on every node).</summary>
    public string? LinkSecret { get; set; }

    /// <summary>Double opt-in: the confirmation mail and how long its link is valid.</summary>
    public OptInOptions OptIn { get; set; } = new();

    /// <summary>The line added under every message that carries an unsubscribe link; <c>{url}</c> stands for the link.</summary>
    public string UnsubscribeFooter { get; set; } = "To stop receiving these messages, unsubscribe here: {url}";
}

/// <summary>How to reach an SMTP server.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    /// <summary>The port; 465 with <see cref="MailSecurity.Auto"/> means TLS on connect, any other STARTTLS. Default 587.</summary>
    public int? Port { get; set; }

    /// <summary>How the connection is secured. <see cref="MailSecurity.None"/> sends in the clear: only for a relay on the same host.</summary>
    public MailSecurity? Security { get; set; }

    public string? UserName { get; set; }
    public string? Password { get; set; }

    /// <summary>How long one SMTP command may take.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>This over <paramref name="fallback"/>: each setting given here wins.</summary>
    internal SmtpOptions Over(SmtpOptions fallback) => new()
    {
        Host = Host ?? fallback.Host,
        Port = Port ?? fallback.Port,
        Security = Security ?? fallback.Security,
        UserName = UserName ?? fallback.UserName,
        Password = Password ?? fallback.Password,
        Timeout = Timeout ?? fallback.Timeout,
    };
}

/// <summary>A tenant's own sender and SMTP settings (<c>Crm:Plugins:Email:Tenants:&lt;tenant&gt;</c>).</summary>
public sealed class EmailTenantOptions
{
    public string? From { get; set; }
    public string? ReplyTo { get; set; }
    public string? BounceAddress { get; set; }
    public string? MessageIdDomain { get; set; }

    /// <summary>Overrides of single SMTP settings (e.g. only the user name and password).</summary>
    public SmtpOptions Smtp { get; set; } = new();
}

/// <summary>How a connection to a mail server is secured.</summary>
public enum MailSecurity
{
    /// <summary>TLS on connect for the well-known TLS ports (465, 993), otherwise STARTTLS, required.</summary>
    Auto = 0,

    /// <summary>TLS from the first byte.</summary>
    SslOnConnect = 1,

    /// <summary>STARTTLS, required: the server must offer it.</summary>
    StartTls = 2,

    /// <summary>STARTTLS when the server offers it, otherwise in the clear.</summary>
    StartTlsWhenAvailable = 3,

    /// <summary>No TLS at all.</summary>
    None = 4,
}

/// <summary>One IMAP mailbox read into one tenant.</summary>
public sealed class MailboxOptions
{
    /// <summary>Unique name of the mailbox (letters, digits, '.', '_', '-', '@'); it names its background work and where its progress is kept. Default: <c>UserName</c>.</summary>
    public string? Name { get; set; }

    /// <summary>The tenant its mail belongs to.</summary>
    public string? Tenant { get; set; }

    public string? Host { get; set; }

    /// <summary>The port; default 993 (TLS on connect) or 143 with STARTTLS.</summary>
    public int? Port { get; set; }

    public MailSecurity Security { get; set; } = MailSecurity.Auto;
    public string? UserName { get; set; }
    public string? Password { get; set; }

    /// <summary>The folder read; default <c>INBOX</c>.</summary>
    public string Folder { get; set; } = "INBOX";

    /// <summary>Mail to this address that names no case opens a new case.</summary>
    public string? SupportAddress { get; set; }

    /// <summary>How often the mailbox is read.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>At most this many messages are read in one go.</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>The name, as given or from the user name, made safe for keys.</summary>
    internal string Key => MailboxKeys.Safe(Name ?? UserName ?? "");
}

/// <summary>The double opt-in confirmation mail (Liquid templates over <c>contact</c>, <c>purpose</c> and <c>link</c>).</summary>
public sealed class OptInOptions
{
    public string Subject { get; set; } = "Please confirm your subscription";

    public string Body { get; set; } =
        "Hello {{ contact.firstName | default: '' }},\n\nplease confirm that you want to receive {{ purpose }} messages from us by opening this link:\n\n{{ link }}\n\nIf you did not ask for this, ignore this message and nothing will change.";

    /// <summary>An HTML body; none when null.</summary>
    public string? Html { get; set; }

    /// <summary>How long a confirmation link works.</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromDays(7);
}

internal static class MailboxKeys
{
    /// <summary>Letters, digits and '.', '_', '-', '@' kept; anything else becomes '-'.</summary>
    public static string Safe(string name)
    {
        var chars = name.Trim().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' ? c : '-').ToArray();
        return new string(chars, 0, Math.Min(chars.Length, 100));
    }
}
