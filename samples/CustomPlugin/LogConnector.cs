using Crm.Engine.Messaging;

namespace CustomPlugin;

/// <summary>Delivers messages of the channel <c>log</c> by appending each as one JSON line to a file.</summary>
public sealed class LogConnector(MessageLogFile file) : IMessageConnector
{
    public string Channel => "log";

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (!message.To.Contains('@', StringComparison.Ordinal) && !message.To.StartsWith('+'))
        {
            // Not an address anyone can have: retrying will not help.
            throw new PermanentDeliveryException($"'{message.To}' is neither an email address nor a phone number", suppressAddress: false);
        }

        return file.AppendAsync(new LoggedMessage(message.MessageId, message.Tenant, message.ContactId, message.To, message.Subject, message.Body, DateTimeOffset.UtcNow),
            cancellationToken);
    }
}
