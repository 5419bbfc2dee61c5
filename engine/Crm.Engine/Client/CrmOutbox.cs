using Crm.Engine.Coordination;
using Crm.Engine.Grains;
using Crm.Engine.Storage;

namespace Crm.Engine.Client;

/// <summary>The <see cref="ICrmOutbox"/> of one subscription in one tenant.</summary>
internal sealed class CrmOutbox(IGrainFactory grains, string tenant, string subscription) : ICrmOutbox
{
    private IOutboxDeskGrain Desk => grains.GetGrain<IOutboxDeskGrain>(tenant);

    public Task<IReadOnlyList<OutboxEntry>> GetDeadLettersAsync(CancellationToken cancellationToken = default) => Desk.DeadLettersAsync(subscription);

    public Task<bool> ReplayAsync(long id, CancellationToken cancellationToken = default) => Desk.ReplayAsync(subscription, id);
}
