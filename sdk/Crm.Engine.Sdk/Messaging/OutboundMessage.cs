namespace Crm.Engine.Messaging;

/// <summary>A message to one contact on one channel, after its consent check passed.</summary>
public sealed record OutboundMessage
{
    /// <summary>Stable across retries: a receiver can drop a repeat with the same id (e.g. as the SMTP <c>Message-ID</c>).</summary>
    public required string MessageId { get; init; }
    public required string Tenant { get; init; }

    /// <summary><c>email</c>, <c>sms</c>…</summary>
    public required string Channel { get; init; }

    /// <summary>The consent purpose it is sent for, e.g. <c>marketing</c>.</summary>
    public required string Purpose { get; init; }
    public required string ContactId { get; init; }

    /// <summary>The address on the channel (an email address, an E.164 number).</summary>
    public required string To { get; init; }
    public string? Subject { get; init; }
    public required string Body { get; init; }

    /// <summary>Who asked for it, e.g. <c>rule:welcome@2</c>.</summary>
    public string? RequestedBy { get; init; }
}

/// <summary>Delivers messages of one channel. Plugins register connectors; without one a message is only recorded on the contact's timeline.</summary>
public interface IMessageConnector
{
    /// <summary>The channel it delivers, e.g. <c>email</c>.</summary>
    string Channel { get; }

    /// <summary>Delivers the message; throwing makes the engine retry it later with the same <see cref="OutboundMessage.MessageId"/>.</summary>
    Task SendAsync(OutboundMessage message, CancellationToken cancellationToken);
}
