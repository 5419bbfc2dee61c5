using Crm.Engine.Domain;

namespace Crm.Engine.Grains;

/// <summary>Finds the grain of a record by its type: each record type has its own grain interface.</summary>
internal static class RecordGrainRouting
{
    /// <summary>The record's grain, or null for an unknown type.</summary>
    public static IRecordGrain? Get(IGrainFactory grains, string tenant, string type, string id)
    {
        var key = RecordIds.GrainKey(tenant, id);
        return type switch
        {
            RecordTypes.Contact => grains.GetGrain<IContactGrain>(key),
            RecordTypes.Account => grains.GetGrain<IAccountGrain>(key),
            RecordTypes.Deal => grains.GetGrain<IDealGrain>(key),
            RecordTypes.Case => grains.GetGrain<ICaseGrain>(key),
            RecordTypes.Interaction => grains.GetGrain<IInteractionGrain>(key),
            RecordTypes.Task => grains.GetGrain<ITaskGrain>(key),
            RecordTypes.User => grains.GetGrain<IUserGrain>(key),
            RecordTypes.Team => grains.GetGrain<ITeamGrain>(key),
            RecordTypes.Queue => grains.GetGrain<IQueueGrain>(key),
            RecordTypes.Segment => grains.GetGrain<ISegmentGrain>(key),
            RecordTypes.Campaign => grains.GetGrain<ICampaignGrain>(key),
            _ => null,
        };
    }

    /// <summary>The grain owning a stream with timers: a record's <c>{type}/{id}</c> or the tenant's rules; null for any other.</summary>
    public static ITimerOwnerGrain? ForStream(IGrainFactory grains, string tenant, string streamId)
    {
        if (streamId == Storage.StreamIds.Rules) return grains.GetGrain<IRuleBookGrain>(tenant);
        var slash = streamId.IndexOf('/');
        return slash <= 0 ? null : Get(grains, tenant, streamId[..slash], streamId[(slash + 1)..]);
    }
}
