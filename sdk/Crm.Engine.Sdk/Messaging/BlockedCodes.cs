namespace Crm.Engine.Messaging;

/// <summary>Why a message was not sent, as <c>code</c> in <c>contact.messageBlocked</c> (beside the readable <c>reason</c>).</summary>
public static class BlockedCodes
{
    /// <summary>The contact has no address on the channel.</summary>
    public const string NoAddress = "no_address";

    /// <summary>The contact was deleted before the message went out.</summary>
    public const string ContactDeleted = "contact_deleted";

    /// <summary>The consent for the address, purpose and channel is not granted (withdrawn, pending or unknown).</summary>
    public const string NoConsent = "no_consent";

    /// <summary>The address is on the suppression list (a bounce, an unsubscribe, a STOP).</summary>
    public const string Suppressed = "suppressed";
}
