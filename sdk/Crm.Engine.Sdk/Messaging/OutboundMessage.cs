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

    /// <summary>The text body, merge fields already filled in.</summary>
    public required string Body { get; init; }

    /// <summary>An HTML body (email), merge fields filled in; null for text only.</summary>
    public string? Html { get; init; }

    /// <summary>A link that withdraws the consent this message was sent under (for a <c>List-Unsubscribe</c> header or the footer).</summary>
    public string? UnsubscribeUrl { get; init; }

    /// <summary>The consent decision that allowed it: the event id of the deciding consent entry, when there is one.</summary>
    public Guid? ConsentEventId { get; init; }

    /// <summary>Who asked for it, e.g. <c>rule:welcome@2</c>.</summary>
    public string? RequestedBy { get; init; }
}

/// <summary>Delivers messages of one channel. Plugins register connectors; without one a message is only recorded on the contact's timeline.</summary>
public interface IMessageConnector
{
    /// <summary>The channel it delivers, e.g. <c>email</c>.</summary>
    string Channel { get; }

    /// <summary>
    /// Delivers the message. Throwing makes the engine retry it later with the same <see cref="OutboundMessage.MessageId"/>;
    /// <see cref="PermanentDeliveryException"/> stops the retries at once (and can suppress the address).
    /// </summary>
    Task SendAsync(OutboundMessage message, CancellationToken cancellationToken);
}

/// <summary>A message that will never be delivered as it is (no such mailbox, number not reachable): no retry.</summary>
public sealed class PermanentDeliveryException : Exception
{
    public PermanentDeliveryException(string reason, bool suppressAddress) : base(reason) => SuppressAddress = suppressAddress;

    /// <summary>The address should not be used again on this channel (a hard bounce); it goes on the suppression list.</summary>
    public bool SuppressAddress { get; }
}
