namespace Crm.Engine.Segments;

/// <summary>
/// Campaigns at work (<c>crm.Campaigns</c>). A campaign is a <c>campaign</c> record — <c>name</c>, <c>segmentId</c>
/// (a segment of contacts), <c>channel</c>, <c>purpose</c>, <c>subject</c>, <c>body</c> and <c>html</c> as Liquid
/// templates — created like any record; its <c>status</c>, <c>queued</c>, <c>sent</c>, <c>failed</c>, <c>blocked</c>
/// and <c>blockedByReason</c> are kept by the engine.
/// </summary>
public interface ICrmCampaigns
{
    /// <summary>Starts sending to the segment's contacts; each gets the message once, if consent and the suppression list allow.</summary>
    /// <exception cref="ValidationException">Not a draft, no segment of contacts, an unknown purpose or a template that does not parse.</exception>
    Task<CrmRecord> LaunchAsync(string campaignId, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Stops a draft or running campaign: contacts not yet queued get nothing.</summary>
    Task<CrmRecord> CancelAsync(string campaignId, WriteOptions? options = null, CancellationToken cancellationToken = default);
}
