using System.Text.Json.Nodes;
using Crm.Engine.Messaging;
using Crm.Engine.Storage;
using Orleans.Concurrency;

namespace Crm.Engine.Grains;

/// <summary>Dead letters of a tenant: the message outbox's failed rows. Stateless; reads the store on the silo that takes the call.</summary>
[StatelessWorker]
internal sealed class MessageDeskGrain(IEventStore store, TimeProvider time) : Grain, IMessageDeskGrain
{
    private const int Page = 1_000;

    private string Tenant => this.GetPrimaryKeyString();

    public async Task<IReadOnlyList<DeadLetter>> DeadLettersAsync()
    {
        var letters = new List<DeadLetter>();
        long after = 0;
        while (true)
        {
            var rows = await store.Coordination.ListOutboxAsync(MessageDispatcher.SubscriptionName, after, Page);
            foreach (var row in rows.Where(r => r.Status == OutboxStatus.Failed && r.Tenant == Tenant))
            {
                var p = JsonNode.Parse(row.PayloadJson)!;
                letters.Add(new DeadLetter
                {
                    Id = row.Id,
                    MessageId = (string)p["messageId"]!,
                    ContactId = (string)p["contactId"]!,
                    Channel = (string)p["channel"]!,
                    To = (string?)p["to"] ?? "",
                    Subject = (string?)p["subject"],
                    Attempts = row.Attempts,
                    LastError = row.LastError,
                    FailedAt = row.CompletedAt,
                });
            }

            if (rows.Count < Page) return letters;
            after = rows[^1].Id;
        }
    }

    public async Task<bool> ReplayAsync(long id)
    {
        // Only a row of this tenant: another tenant's id answers false, as if it did not exist.
        var row = (await store.Coordination.ListOutboxAsync(MessageDispatcher.SubscriptionName, id - 1, 1)).FirstOrDefault();
        if (row is null || row.Id != id || row.Tenant != Tenant) return false;
        return await store.Coordination.ReplayOutboxAsync(MessageDispatcher.SubscriptionName, id, time.GetUtcNow());
    }
}
