using Crm.Engine;
using Crm.Engine.Messaging;
using Crm.Engine.Plugins;
using Crm.Plugins.Email.Inbound;
using Crm.Plugins.Email.OptIn;
using Crm.Plugins.Email.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Plugins.Email;

/// <summary>
/// The e-mail plugin: the <c>email</c> channel's connector (SMTP), one background reader per configured IMAP mailbox
/// (interactions, cases, bounces), and double opt-in (<c>POST /api/v1/plugins/Email/opt-in</c>,
/// <c>GET /p/Email/confirm/{token}</c>). Settings: <c>Crm:Plugins:Email</c> (see the plugin's README).
/// </summary>
public sealed class EmailPlugin : ICrmWebPlugin
{
    /// <summary>Who the plugin's own writes are attributed to.</summary>
    internal static readonly Actor Actor = new(ActorKind.Plugin, "Email");

    /// <summary>Registers the connector, the mailbox readers and the opt-in services; options that do not validate skip the plugin.</summary>
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
        var section = context.Configuration is IConfigurationSection s ? s.Path : $"Crm:Plugins:{context.Name}";
        // Checked here rather than on host start: a plugin that is not configured (or configured wrongly) is
        // reported and skipped by the host, which runs on without it.
        var validation = new EmailOptionsValidation(section);
        var probe = new EmailPluginOptions();
        context.Configuration.Bind(probe);
        if (validation.Validate(null, probe) is { Failed: true } invalid) throw new InvalidOperationException(invalid.FailureMessage);
        services.AddOptions<EmailPluginOptions>().Bind(context.Configuration);
        services.AddSingleton<IValidateOptions<EmailPluginOptions>>(validation);
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<EmailSettings>();
        services.AddSingleton<SmtpDelivery>();
        services.AddSingleton<IMessageConnector, SmtpConnector>();

        services.AddSingleton<InboundMail>();
        var mailboxes = context.Configuration.GetSection("Mailboxes").GetChildren().Count();
        for (var i = 0; i < mailboxes; i++)
        {
            var index = i;
            services.AddSingleton<ICrmBackgroundWork>(sp => new MailboxPoller(
                sp.GetRequiredService<IOptions<EmailPluginOptions>>().Value.Mailboxes[index],
                sp.GetRequiredService<InboundMail>(),
                sp.GetRequiredService<ICrmClient>(),
                context.Name,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<MailboxPoller>>()));
        }

        services.AddSingleton(sp => new ConfirmationLinks(sp.GetRequiredService<EmailSettings>(), context.Name));
        services.AddSingleton<ConfirmationMail>();
        services.AddSingleton<DoubleOptIn>();
    }

    /// <summary>Maps the double opt-in request (API) and the confirmation link (public).</summary>
    public void MapEndpoints(CrmPluginEndpoints endpoints, CrmPluginContext context) =>
        OptInEndpoints.Map(endpoints.Api, endpoints.Public);
}
