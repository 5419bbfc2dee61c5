using Crm.Engine.Storage;
using Orleans.Concurrency;

namespace Crm.Engine.Grains;

/// <summary>A tenant's dead letters: the failed outbox rows of a subscription. Stateless; reads the store on the silo that takes the call.</summary>
[StatelessWorker]
internal sealed class OutboxDeskGrain(IEventStore store, TimeProvider time) : Grain, IOutboxDeskGrain
{
    private const int Page = 1_000;

    private string Tenant => this.GetPrimaryKeyString();

    public async Task<IReadOnlyList<OutboxEntry>> DeadLettersAsync(string subscription)
    {
        var letters = new List<OutboxEntry>();
        long after = 0;
        while (true)
        {
            var rows = await store.Coordination.ListOutboxAsync(subscription, after, Page);
            letters.AddRange(rows.Where(r => r.Status == OutboxStatus.Failed && r.Tenant == Tenant));
            if (rows.Count < Page) return letters;
            after = rows[^1].Id;
        }
    }

    public async Task<bool> ReplayAsync(string subscription, long id)
    {
        // Only a row of this tenant: another tenant's id answers false, as if it did not exist.
        var row = (await store.Coordination.ListOutboxAsync(subscription, id - 1, 1)).FirstOrDefault();
        if (row is null || row.Id != id || row.Tenant != Tenant) return false;
        return await store.Coordination.ReplayOutboxAsync(subscription, id, time.GetUtcNow());
    }
}
