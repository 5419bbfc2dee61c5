using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Grains;
using Crm.Engine.Messaging;

namespace Crm.Engine.Client;

/// <summary>The <see cref="ICrmMessages"/> of one tenant over its contact, suppression-list and message-desk grains.</summary>
internal sealed class CrmMessages(IGrainFactory grains, string tenant, Actor actor) : ICrmMessages
{

    private ISuppressionListGrain Suppressions => grains.GetGrain<ISuppressionListGrain>(tenant);

    public Task<string> SendAsync(string contactId, MessageRequest request, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        RecordIds.EnsureValid(contactId, "contactId");
        ArgumentNullException.ThrowIfNull(request);
        return grains.GetGrain<IContactGrain>(RecordIds.GrainKey(tenant, contactId)).RequestMessageAsync(request, options.ActingAs(actor));
    }

    public Task<IReadOnlyList<Suppression>> GetSuppressionsAsync(string? channel = null, CancellationToken cancellationToken = default) => Suppressions.ListAsync(channel);

    public Task<Suppression> SuppressAsync(string channel, string address, string reason, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Suppressions.AddAsync(channel, address, reason, options.ActingAs(actor));

    public Task<bool> UnsuppressAsync(string channel, string address, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Suppressions.RemoveAsync(channel, address, options.ActingAs(actor));

    public async Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(CancellationToken cancellationToken = default) =>
        [.. (await Desk.DeadLettersAsync(MessageDispatcher.SubscriptionName)).Select(row =>
        {
            var p = JsonNode.Parse(row.PayloadJson)!;
            return new DeadLetter
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
            };
        })];

    public Task<bool> ReplayAsync(long deadLetterId, CancellationToken cancellationToken = default) =>
        Desk.ReplayAsync(MessageDispatcher.SubscriptionName, deadLetterId);

    private IOutboxDeskGrain Desk => grains.GetGrain<IOutboxDeskGrain>(tenant);
}
