using Crm.Engine.Storage;

namespace Crm.Engine.Coordination;

/// <summary>
/// The outbox rows one log subscription (a plugin's <see cref="ILogConsumer"/>, or the engine's own) keeps for a
/// tenant: its dead letters — rows given up on after their retries — and replaying them. Get one with
/// <c>crm.Outbox("my.subscription")</c>.
/// </summary>
public interface ICrmOutbox
{
    /// <summary>The tenant's rows the subscription gave up on, oldest first.</summary>
    Task<IReadOnlyList<OutboxEntry>> GetDeadLettersAsync(CancellationToken cancellationToken = default);

    /// <summary>Executes a dead letter again, with its key (and so its idempotency key downstream); false when there is no such dead letter of this tenant.</summary>
    Task<bool> ReplayAsync(long id, CancellationToken cancellationToken = default);
}
