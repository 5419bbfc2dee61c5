using System.Collections.Concurrent;
using Crm.Engine.Hosting;
using Crm.Engine.Storage;

namespace Crm.Engine.Settings;

/// <summary>
/// Per-silo cache of each tenant's settings stream. Record grains read settings here (never from another grain);
/// the settings grain publishes every committed change into it, and in a cluster the log follower reports the
/// versions other nodes committed, so a stale entry is read again.
/// </summary>
public sealed class TenantSettingsProvider(IEventStore store, CrmEngineOptions options)
{
    internal sealed record Entry(IReadOnlyList<CrmEvent> Events, TenantSettings Current);

    // A read racing a commit may return the stream just before it; reading again sees it (it was committed before it was seen).
    private const int StaleReadAttempts = 3;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _committed = new(StringComparer.Ordinal);

    /// <summary>The tenant's settings now, or as of a past time.</summary>
    public async ValueTask<TenantSettings> GetAsync(string tenant, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        if (!_cache.TryGetValue(tenant, out var entry) || IsStale(tenant, entry))
        {
            for (var attempt = 0; attempt < StaleReadAttempts; attempt++)
            {
                var events = await store.ReadStreamAsync(tenant, StreamIds.Settings, 1, int.MaxValue, cancellationToken).ConfigureAwait(false);
                entry = Publish(tenant, events);
                if (!IsStale(tenant, entry)) break;
            }
        }

        return asOf is null ? entry!.Current : TenantSettingsFold.Fold(entry!.Events, asOf);
    }

    /// <summary>Replaces the cached stream when <paramref name="events"/> is newer than what is cached.</summary>
    internal Entry Publish(string tenant, IReadOnlyList<CrmEvent> events)
    {
        var fresh = new Entry(events, TenantSettingsFold.Fold(events));
        return _cache.AddOrUpdate(tenant, fresh, (_, old) => old.Current.Version >= fresh.Current.Version ? old : fresh);
    }

    /// <summary>A node committed <paramref name="version"/> of the tenant's settings stream; older cached settings are read again.</summary>
    internal void Observe(string tenant, long version) =>
        _committed.AddOrUpdate(tenant, version, (_, known) => Math.Max(known, version));

    /// <summary>
    /// Reads the settings again when the store holds a newer version than the cached one (a change made through another
    /// node a moment ago); true when it did. What a write refused by the cached settings costs: one indexed read.
    /// </summary>
    internal async ValueTask<bool> RefreshIfBehindAsync(string tenant, CancellationToken cancellationToken = default)
    {
        if (!options.StoreIsShared) return false; // this node's settings grain publishes every change here
        var cached = _cache.TryGetValue(tenant, out var entry) ? entry.Current.Version : 0;
        var newer = await store.ReadStreamAsync(tenant, StreamIds.Settings, cached + 1, 1, cancellationToken).ConfigureAwait(false);
        if (newer.Count == 0) return false;
        Observe(tenant, newer[0].Version);
        await GetAsync(tenant, cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Forgets a tenant's cached settings; the next read loads them from the store.</summary>
    public void Invalidate(string tenant) => _cache.TryRemove(tenant, out _);

    private bool IsStale(string tenant, Entry entry) => _committed.TryGetValue(tenant, out var committed) && entry.Current.Version < committed;
}
