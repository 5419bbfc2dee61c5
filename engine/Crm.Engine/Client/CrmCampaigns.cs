using Crm.Engine.Domain;
using Crm.Engine.Grains;
using Crm.Engine.Segments;

namespace Crm.Engine.Client;

/// <summary><see cref="ICrmCampaigns"/> on the campaign's grain, attributed to the client's actor.</summary>
internal sealed class CrmCampaigns(IGrainFactory grains, string tenant, Actor actor) : ICrmCampaigns
{
    public Task<CrmRecord> LaunchAsync(string campaignId, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Grain(campaignId).LaunchAsync(options.ActingAs(actor));

    public Task<CrmRecord> CancelAsync(string campaignId, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Grain(campaignId).CancelAsync(options.ActingAs(actor));

    private ICampaignGrain Grain(string campaignId) =>
        grains.GetGrain<ICampaignGrain>(RecordIds.GrainKey(tenant, RecordIds.IsValid(campaignId) ? campaignId : throw new ValidationException("id", "is not a valid record id")));
}
