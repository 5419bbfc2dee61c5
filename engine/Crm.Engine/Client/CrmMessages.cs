using Crm.Engine.Domain;
using Crm.Engine.Grains;
using Crm.Engine.Messaging;

namespace Crm.Engine.Client;

/// <summary>The <see cref="ICrmMessages"/> of one tenant over its contact, suppression-list and message-desk grains.</summary>
internal sealed class CrmMessages(IGrainFactory grains, string tenant, Actor actor) : ICrmMessages
{
    private WriteOptions With(WriteOptions? options) =>
        options is null ? new WriteOptions { Actor = actor } : options.Actor is null ? options with { Actor = actor } : options;

    private ISuppressionListGrain Suppressions => grains.GetGrain<ISuppressionListGrain>(tenant);

    public Task<string> SendAsync(string contactId, MessageRequest request, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        RecordIds.EnsureValid(contactId, "contactId");
        ArgumentNullException.ThrowIfNull(request);
        return grains.GetGrain<IContactGrain>(RecordIds.GrainKey(tenant, contactId)).RequestMessageAsync(request, With(options));
    }

    public Task<IReadOnlyList<Suppression>> GetSuppressionsAsync(string? channel = null, CancellationToken cancellationToken = default) => Suppressions.ListAsync(channel);

    public Task<Suppression> SuppressAsync(string channel, string address, string reason, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Suppressions.AddAsync(channel, address, reason, With(options));

    public Task<bool> UnsuppressAsync(string channel, string address, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Suppressions.RemoveAsync(channel, address, With(options));

    public Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(CancellationToken cancellationToken = default) =>
        grains.GetGrain<IMessageDeskGrain>(tenant).DeadLettersAsync();

    public Task<bool> ReplayAsync(long deadLetterId, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IMessageDeskGrain>(tenant).ReplayAsync(deadLetterId);
}
