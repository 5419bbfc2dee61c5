namespace Crm.Engine.Messaging;

/// <summary>
/// A message to one contact. Subject, body and HTML are Liquid templates: <c>{{ contact.firstName }}</c> and the
/// other fields of the contact, <c>{{ data.x }}</c> from <see cref="DataJson"/>. They are filled in when the message
/// is requested, so the contact's history holds the exact text.
/// </summary>
[GenerateSerializer, Immutable, Alias("crm.MessageRequest")]
public sealed record MessageRequest
{
    /// <summary>The channel: <c>email</c>, <c>sms</c>, or one a plugin adds.</summary>
    [Id(0)] public required string Channel { get; init; }

    /// <summary>The consent purpose it is sent for (<c>marketing</c>, <c>newsletter</c>, <c>service</c>…).</summary>
    [Id(1)] public required string Purpose { get; init; }

    /// <summary>The address; the contact's primary one on the channel (email, phone) when null.</summary>
    [Id(2)] public string? To { get; init; }

    [Id(3)] public string? Subject { get; init; }
    [Id(4)] public required string Body { get; init; }
    [Id(5)] public string? Html { get; init; }

    /// <summary>More merge data (a JSON object), as <c>data</c> in the templates.</summary>
    [Id(6)] public string? DataJson { get; init; }

    /// <summary>The message's stable id (sent downstream, e.g. as the SMTP Message-ID); generated when null.</summary>
    [Id(7)] public string? MessageId { get; init; }
}

/// <summary>An address a channel must not use again (a hard bounce, an SMS STOP, an operator's decision).</summary>
[GenerateSerializer, Immutable, Alias("crm.Suppression")]
public sealed record Suppression(
    [property: Id(0)] string Channel,
    [property: Id(1)] string Address,
    [property: Id(2)] string Reason,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] string By);

/// <summary>A message the engine gave up on after its retries; it can be replayed.</summary>
[GenerateSerializer, Immutable, Alias("crm.DeadLetter")]
public sealed record DeadLetter
{
    [Id(0)] public required long Id { get; init; }
    [Id(1)] public required string MessageId { get; init; }
    [Id(2)] public required string ContactId { get; init; }
    [Id(3)] public required string Channel { get; init; }
    [Id(4)] public required string To { get; init; }
    [Id(5)] public string? Subject { get; init; }
    [Id(6)] public required int Attempts { get; init; }
    [Id(7)] public string? LastError { get; init; }
    [Id(8)] public DateTimeOffset? FailedAt { get; init; }
}

/// <summary>A tenant's outbound messages: sending, the suppression list, dead letters.</summary>
public interface ICrmMessages
{
    /// <summary>
    /// Queues a message to a contact; answers its id at once. It is sent only if the contact's consent allows it and
    /// the address is not suppressed when its turn comes; the outcome (<c>message.sent</c>, <c>message.blocked</c>
    /// with the reason, <c>message.failed</c>) lands in the contact's history.
    /// </summary>
    Task<string> SendAsync(string contactId, MessageRequest request, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The suppression list, optionally of one channel.</summary>
    Task<IReadOnlyList<Suppression>> GetSuppressionsAsync(string? channel = null, CancellationToken cancellationToken = default);

    /// <summary>Adds an address to the suppression list.</summary>
    Task<Suppression> SuppressAsync(string channel, string address, string reason, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Takes an address off the list; false when it was not on it.</summary>
    Task<bool> UnsuppressAsync(string channel, string address, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Messages given up on after their retries.</summary>
    Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends a dead letter again (with the same message id); false when there is no such dead letter.</summary>
    Task<bool> ReplayAsync(long deadLetterId, CancellationToken cancellationToken = default);
}
