using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>
/// Finishes every merge that was started: each <c>merge.started</c> becomes an outbox row that asks the merge again,
/// attributed to whoever started it. A merge that ran through answers at once; one interrupted by a crash or a
/// failed call is resumed from where it stopped, and retried with back-off until it is done.
/// </summary>
internal sealed class MergeCompletion(ICrmClient crm) : ILogConsumer
{
    public const string SubscriptionName = "crm.merges";
    private const string Kind = "merge.finish";

    public string Name => SubscriptionName;

    public Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OutboxMessage>>([.. events.Where(e => e.Type == EventTypes.MergeStarted).Select(e =>
        {
            var payload = JsonNode.Parse(e.PayloadJson)!;
            return new OutboxMessage
            {
                Key = e.EventId.ToString("N"),
                Kind = Kind,
                Tenant = e.Tenant,
                SourceEventId = e.EventId,
                PayloadJson = new JsonObject
                {
                    ["type"] = (string?)payload["type"] ?? RecordTypes.Contact,
                    ["survivorId"] = (string?)payload["survivorId"],
                    ["mergedId"] = (string?)payload["mergedId"],
                    ["actor"] = e.Actor.ToString(),
                    ["correlationId"] = e.CorrelationId,
                }.ToJsonString(),
            };
        })]);

    public async Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var payload = JsonNode.Parse(entry.PayloadJson)!;
        var actor = Actor.Parse((string)payload["actor"]!);
        try
        {
            await crm.ForTenant(entry.Tenant, actor).MergeAsync((string)payload["type"]!, (string)payload["survivorId"]!, (string)payload["mergedId"]!,
                new WriteOptions { Actor = actor, CorrelationId = (string?)payload["correlationId"] }, cancellationToken);
        }
        catch (RecordNotFoundException)
        {
            // The survivor was deleted after the merge: there is nothing left to finish or to answer.
        }
    }
}
