using Crm.Engine.Storage;

namespace Crm.Engine.Coordination;

/// <summary>
/// A subscriber to the whole event log, run on one node of the cluster at a time. It first <em>decides</em> what a
/// run of events calls for; the decision is stored as outbox rows together with the subscription's checkpoint, in
/// one transaction. Each row is then <em>executed</em>, and retried until it succeeds, never decided again.
/// Register one with <c>services.AddCrmLogConsumer&lt;T&gt;()</c> in an application, or
/// <c>services.AddSingleton&lt;ILogConsumer, T&gt;()</c> in a plugin's <c>ConfigureServices</c>.
/// </summary>
public interface ILogConsumer
{
    /// <summary>The subscription's name: its checkpoint, lease and outbox rows are kept under it. Never rename a running one.</summary>
    string Name { get; }

    /// <summary>
    /// What the events call for, as outbox rows (none is fine). Must depend only on the events and on data as of
    /// their time, because it runs exactly once per event — or again only if the decision was never stored.
    /// </summary>
    Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// Executes one outbox row; throwing schedules a retry. Internal effects pass <see cref="OutboxEntry.EffectKey"/>
    /// as <see cref="WriteOptions.EffectKey"/>, so a retry after a crash is not applied twice; external effects send
    /// it downstream (e.g. as <c>Message-ID</c> or <c>webhook-id</c>) so receivers can drop duplicates.
    /// </summary>
    Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Rows with the same key are executed one after another, in the order they were decided; rows with different
    /// keys may be executed at the same time. Typically the record the row changes. Null (the default) puts the row
    /// in one sequence with every other row without a key. A row that fails and is retried later may land after
    /// later rows of its key.
    /// </summary>
    string? OrderingKey(OutboxEntry entry) => null;
}
