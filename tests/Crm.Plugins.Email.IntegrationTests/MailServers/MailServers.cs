[assembly: AssemblyFixture(typeof(Crm.Plugins.Email.IntegrationTests.MailServers.MailServers))]

namespace Crm.Plugins.Email.IntegrationTests.MailServers;

/// <summary>The SMTP sink and the IMAP server, started once for the test assembly; tests keep apart by their own addresses and mailboxes.</summary>
public sealed class MailServers : IAsyncLifetime
{
    public SmtpSink Smtp { get; private set; } = null!;
    public ImapServer Imap { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var smtp = SmtpSink.StartAsync();
        var imap = ImapServer.StartAsync();
        Smtp = await smtp;
        Imap = await imap;
    }

    public async ValueTask DisposeAsync()
    {
        if (Smtp is not null) await Smtp.DisposeAsync();
        if (Imap is not null) await Imap.DisposeAsync();
    }
}
