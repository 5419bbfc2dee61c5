using Crm.Engine.Messaging;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Crm.Plugins.Email.Outbound;

/// <summary>The <c>email</c> channel: each outbound message as a MIME message through the tenant's SMTP server.</summary>
internal sealed partial class SmtpConnector(EmailSettings settings, SmtpDelivery smtp, TimeProvider time, ILogger<SmtpConnector> logger) : IMessageConnector
{
    public string Channel => "email";

    public async Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var sender = settings.ForTenant(message.Tenant);
        MimeMessage mail;
        try
        {
            mail = OutboundMail.Build(message, sender, settings.Options.UnsubscribeFooter, time.GetUtcNow());
        }
        catch (ParseException ex)
        {
            // No retry makes an address MIME cannot read readable.
            EmailMetrics.SendFailed(permanent: true);
            throw new PermanentDeliveryException($"'{message.To}' is not an address a mail can be sent to: {ex.Message}", suppressAddress: false);
        }

        try
        {
            await smtp.SendAsync(mail, sender, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            EmailMetrics.SendFailed(ex is PermanentDeliveryException);
            LogFailed(logger, message.MessageId, message.Tenant, ex.Message);
            throw;
        }

        EmailMetrics.Sent();
        LogSent(logger, message.MessageId, mail.MessageId ?? "", message.Tenant);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Message {MessageId} sent by SMTP as <{MailMessageId}> for tenant {Tenant}")]
    private static partial void LogSent(ILogger logger, string messageId, string mailMessageId, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} of tenant {Tenant} not sent: {Reason}")]
    private static partial void LogFailed(ILogger logger, string messageId, string tenant, string reason);
}
