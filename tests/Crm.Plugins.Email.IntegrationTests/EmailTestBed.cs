using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Testing;
using Crm.Plugins.Email.IntegrationTests.MailServers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Crm.Plugins.Email.IntegrationTests;

/// <summary>
/// One test's world: an engine on its own data directory with the e-mail plugin sending to the shared SMTP sink and,
/// when asked, reading its own IMAP mailbox and serving its endpoints. Addresses carry the test's tag, so tests that
/// share the mail servers never see each other's mail.
/// </summary>
internal sealed class EmailTestBed : IAsyncDisposable
{
    public const string From = "Acme Support <support@acme.test>";
    public const string MessageIdDomain = "mail.acme.test";
    public const string SupportAddress = "help@acme.test";
    public const string MailboxName = "support";
    public const string LinkSecret = "email-plugin-tests-secret-of-32-characters-or-more";

    private readonly MailServers.MailServers _servers;
    private WebApplication? _web;

    private EmailTestBed(MailServers.MailServers servers, CrmTestEngine engine, string tag, int webPort)
    {
        _servers = servers;
        Engine = engine;
        Tag = tag;
        WebPort = webPort;
    }

    public CrmTestEngine Engine { get; }
    public ICrmClient Crm => Engine.Client;
    public string Tag { get; }
    public int WebPort { get; }
    public SmtpSink Smtp => _servers.Smtp;
    public ImapServer Imap => _servers.Imap;

    /// <summary>The IMAP user whose INBOX the plugin reads for this test.</summary>
    public string MailboxUser => $"support.{Tag}@acme.test";

    /// <summary>HTTP to the plugin's endpoints (after <see cref="StartWebAsync"/>).</summary>
    public HttpClient Http { get; } = new();

    /// <summary>An address unique to this test; <paramref name="local"/> may start with the sink's <c>reject-</c>, <c>busy-</c> or <c>defer-</c>.</summary>
    public string Address(string local) => $"{local}.{Tag}@example.test";

    public static async Task<EmailTestBed> StartAsync(MailServers.MailServers servers, bool mailbox = false, Action<Dictionary<string, string?>>? configure = null)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var webPort = FreePort.Next();
        var settings = new Dictionary<string, string?>
        {
            ["Crm:Plugins:Email:From"] = From,
            ["Crm:Plugins:Email:MessageIdDomain"] = MessageIdDomain,
            ["Crm:Plugins:Email:Smtp:Host"] = "127.0.0.1",
            ["Crm:Plugins:Email:Smtp:Port"] = servers.Smtp.Port.ToString(),
            ["Crm:Plugins:Email:Smtp:Security"] = "None",
            ["Crm:Plugins:Email:Smtp:Timeout"] = "00:00:10",
            ["Crm:Plugins:Email:PublicBaseUrl"] = $"http://127.0.0.1:{webPort}",
            ["Crm:Plugins:Email:LinkSecret"] = LinkSecret,
        };
        if (mailbox)
        {
            settings["Crm:Plugins:Email:Mailboxes:0:Name"] = MailboxName;
            settings["Crm:Plugins:Email:Mailboxes:0:Tenant"] = "default";
            settings["Crm:Plugins:Email:Mailboxes:0:Host"] = "127.0.0.1";
            settings["Crm:Plugins:Email:Mailboxes:0:Port"] = servers.Imap.Port.ToString();
            settings["Crm:Plugins:Email:Mailboxes:0:Security"] = "None";
            settings["Crm:Plugins:Email:Mailboxes:0:UserName"] = $"support.{tag}@acme.test";
            settings["Crm:Plugins:Email:Mailboxes:0:Password"] = ImapServer.Password;
            settings["Crm:Plugins:Email:Mailboxes:0:SupportAddress"] = SupportAddress;
            settings["Crm:Plugins:Email:Mailboxes:0:PollInterval"] = "00:00:00.200";
        }

        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var plugins = EmailPluginFixture.PluginsFolder();
        var engine = await CrmTestEngine.StartAsync(
            configure: o =>
            {
                o.Coordination.OutboxBackoff = TimeSpan.FromMilliseconds(50);
                o.Coordination.OutboxMaxAttempts = 4;
                o.Messaging.PublicBaseUrl = "https://crm.example.test";
                o.Messaging.LinkSecret = "engine-unsubscribe-secret-of-32-characters-or-more";
                EmailPluginFixture.LoadFrom(o, plugins, configuration);
            },
            cancellationToken: TestContext.Current.CancellationToken);
        return new EmailTestBed(servers, engine, tag, webPort);
    }

    /// <summary>Serves the plugin's endpoints at <c>http://127.0.0.1:{WebPort}</c>.</summary>
    public async Task StartWebAsync()
    {
        _web = await EmailPluginFixture.StartWebHostAsync(Engine.Services, WebPort);
        Http.BaseAddress = new Uri($"http://127.0.0.1:{WebPort}");
    }

    public async Task<CrmRecord> ContactAsync(string firstName, string email, string? consentPurpose = null, ConsentStatus status = ConsentStatus.Granted)
    {
        var contact = await Crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = firstName, ["email"] = email });
        if (consentPurpose is not null)
        {
            await Crm.SetConsentAsync(contact.Id, new ConsentChange { Purpose = consentPurpose, Channel = "email", Status = status, Source = "signup form", Proof = "Send me the newsletter." });
        }

        return contact;
    }

    /// <summary>The outcome event (<c>contact.messageSent|Blocked|Failed</c>) of a message, once it is recorded, with its type under <c>type</c>.</summary>
    public async Task<JsonObject> OutcomeAsync(string contactId, string messageId)
    {
        JsonObject? outcome = null;
        await Eventually.TrueAsync(async () =>
        {
            var history = (await Crm.GetHistoryAsync(RecordTypes.Contact, contactId, limit: 500)).Items;
            var e = history.LastOrDefault(x => x.Type is "contact.messageSent" or "contact.messageBlocked" or "contact.messageFailed"
                && (string?)JsonNode.Parse(x.PayloadJson)!["messageId"] == messageId);
            if (e is null) return false;
            outcome = JsonNode.Parse(e.PayloadJson)!.AsObject();
            outcome["type"] = e.Type;
            return true;
        });
        return outcome!;
    }

    /// <summary>Interactions with this messageId (as the plugin stores a mail's Message-ID).</summary>
    public async Task<IReadOnlyList<CrmRecord>> InteractionsAsync(string messageId) =>
        (await Crm.QueryAsync(RecordTypes.Interaction, new RecordQuery { Filter = Filter.Eq("messageId", messageId), IncludeDeleted = true })).Items;

    /// <summary>Waits for the interaction logged for a mail, until it has <paramref name="links"/> links.</summary>
    public async Task<CrmRecord> InteractionAsync(string messageId, int links = 1)
    {
        CrmRecord? found = null;
        await Eventually.TrueAsync(async () => (found = (await InteractionsAsync(messageId)).FirstOrDefault(i => i.Links.Count >= links)) is not null);
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_web is not null) await _web.DisposeAsync();
        await Engine.DisposeAsync();
    }
}
