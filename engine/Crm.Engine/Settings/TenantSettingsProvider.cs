using System.Collections.Concurrent;
using Crm.Engine.Storage;

namespace Crm.Engine.Settings;

/// <summary>
/// Per-silo cache of each tenant's settings stream. Record grains read settings here (never from another grain);
/// the settings grain publishes every committed change into it.
/// </summary>
public sealed class TenantSettingsProvider(IEventStore store)
{
    internal sealed record Entry(IReadOnlyList<CrmEvent> Events, TenantSettings Current);

    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    /// <summary>The tenant's settings now, or as of a past time.</summary>
    public async ValueTask<TenantSettings> GetAsync(string tenant, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        if (!_cache.TryGetValue(tenant, out var entry))
        {
            var events = await store.ReadStreamAsync(tenant, StreamIds.Settings, 1, int.MaxValue, cancellationToken).ConfigureAwait(false);
            entry = Publish(tenant, events);
        }

        return asOf is null ? entry.Current : TenantSettingsFold.Fold(entry.Events, asOf);
    }

    /// <summary>Replaces the cached stream when <paramref name="events"/> is newer than what is cached.</summary>
    internal Entry Publish(string tenant, IReadOnlyList<CrmEvent> events)
    {
        var fresh = new Entry(events, TenantSettingsFold.Fold(events));
        return _cache.AddOrUpdate(tenant, fresh, (_, old) => old.Current.Version >= fresh.Current.Version ? old : fresh);
    }

    /// <summary>Forgets a tenant's cached settings; the next read loads them from the store.</summary>
    public void Invalidate(string tenant) => _cache.TryRemove(tenant, out _);
}
