namespace Crm.Engine;

/// <summary>Where a contact stands on one purpose and channel. Unknown means no for consent-based purposes.</summary>
public enum ConsentStatus
{
    Unknown = 0,
    /// <summary>Asked, awaiting confirmation (double opt-in): not yet permission.</summary>
    Pending = 1,
    Granted = 2,
    Withdrawn = 3,
}

/// <summary>GDPR Art. 6 lawful bases.</summary>
public enum LawfulBasis
{
    Consent = 0,
    Contract = 1,
    LegalObligation = 2,
    VitalInterests = 3,
    PublicTask = 4,
    LegitimateInterest = 5,
}

/// <summary>Well-known channel names.</summary>
public static class Channels
{
    public const string Email = "email";
    public const string Sms = "sms";
    public const string Phone = "phone";
    public const string Post = "post";
}

/// <summary>A consent decision to record for a contact.</summary>
[GenerateSerializer, Immutable, Alias("crm.ConsentChange")]
public sealed record ConsentChange
{
    /// <summary>The purpose, e.g. <c>marketing</c>, <c>newsletter</c>, <c>service</c>.</summary>
    [Id(0)] public required string Purpose { get; init; }

    /// <summary>The channel, e.g. <c>email</c> or <c>sms</c>.</summary>
    [Id(1)] public required string Channel { get; init; }

    /// <summary>The address it applies to; null applies to every address of the contact on that channel.</summary>
    [Id(2)] public string? Address { get; init; }

    [Id(3)] public required ConsentStatus Status { get; init; }

    [Id(4)] public LawfulBasis LawfulBasis { get; init; } = LawfulBasis.Consent;

    /// <summary>Where the decision came from, e.g. <c>web-form:newsletter</c>, <c>import</c>, <c>phone call</c>.</summary>
    [Id(5)] public required string Source { get; init; }

    /// <summary>Proof: the exact consent text shown, a confirmation token, a message id.</summary>
    [Id(6)] public string? Proof { get; init; }

    /// <summary>When the decision was made; defaults to the time it is recorded.</summary>
    [Id(7)] public DateTimeOffset? At { get; init; }
}

/// <summary>One recorded consent decision, with the event that recorded it.</summary>
[GenerateSerializer, Immutable, Alias("crm.ConsentEntry")]
public sealed record ConsentEntry
{
    [Id(0)] public required string Purpose { get; init; }
    [Id(1)] public required string Channel { get; init; }

    /// <summary>Normalised address, or <c>*</c> for every address on the channel.</summary>
    [Id(2)] public required string Address { get; init; }
    [Id(3)] public required ConsentStatus Status { get; init; }
    [Id(4)] public required LawfulBasis LawfulBasis { get; init; }
    [Id(5)] public required string Source { get; init; }
    [Id(6)] public string? Proof { get; init; }
    [Id(7)] public required DateTimeOffset At { get; init; }

    /// <summary>The event that recorded the decision.</summary>
    [Id(8)] public required Guid EventId { get; init; }
}

/// <summary>The answer to "may I contact this address for this purpose on this channel?".</summary>
[GenerateSerializer, Immutable, Alias("crm.ConsentDecision")]
public sealed record ConsentDecision
{
    [Id(0)] public required bool Allowed { get; init; }
    [Id(1)] public required ConsentStatus Status { get; init; }

    /// <summary>Why, in words a person can read.</summary>
    [Id(2)] public required string Reason { get; init; }

    /// <summary>The decision that decided it, if any.</summary>
    [Id(3)] public ConsentEntry? DecidingEntry { get; init; }

    /// <summary>The id of the deciding event, if any.</summary>
    public Guid? DecidingEventId => DecidingEntry?.EventId;
}
