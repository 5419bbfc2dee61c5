using System.Collections.Concurrent;
using Crm.Engine.Cluster;
using Crm.Engine.Storage;

namespace Crm.Engine.Rules;

/// <summary>
/// Per-silo cache of each tenant's enabled rules, compiled and indexed. The tenant's rule-book grain publishes every
/// change into it; in a cluster the log follower reports versions other nodes committed, so a stale entry is read again.
/// Engine-wide rules (compiled C# rules and rule folders) join every tenant's set.
/// </summary>
internal sealed class RuleSetProvider(IEventStore store, RuleCompiler compiler, EngineWideRules engineWide) : IStreamChangeObserver
{
    private sealed record Entry(long Version, TenantRuleSet Rules);

    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _committed = new(StringComparer.Ordinal);

    /// <summary>The tenant's enabled rules.</summary>
    public async ValueTask<TenantRuleSet> GetAsync(string tenant, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGetValue(tenant, out var entry) && !IsStale(tenant, entry)) return entry.Rules;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var events = await store.ReadStreamAsync(tenant, StreamIds.Rules, 1, int.MaxValue, cancellationToken).ConfigureAwait(false);
            Publish(tenant, RuleBook.Fold(events));
            entry = _cache[tenant];
            if (!IsStale(tenant, entry)) break;
        }

        return entry!.Rules;
    }

    /// <summary>Replaces the cached set when <paramref name="book"/> is newer than what is cached.</summary>
    public TenantRuleSet Publish(string tenant, RuleBook book)
    {
        if (_cache.TryGetValue(tenant, out var cached) && cached.Version >= book.Version) return cached.Rules;
        var rules = engineWide.For(tenant).Concat(book.Rules
            .Where(r => r.Enabled && !r.Deleted)
            .Select(r => Activate(r.Current, tenant)));
        var fresh = new Entry(book.Version, new TenantRuleSet(rules));
        return _cache.AddOrUpdate(tenant, fresh, (_, old) => old.Version > fresh.Version ? old : fresh).Rules;
    }

    // A stored rule that no longer compiles (its limits were lowered since) fails each evaluation, so its failures
    // are recorded and it is disabled, instead of taking the tenant's other rules down with it.
    private ActiveRule Activate(RuleDefinition definition, string tenant)
    {
        try
        {
            return compiler.Activate(definition, tenant);
        }
        catch (CrmException ex)
        {
            return new ActiveRule(definition, _ => throw new RuleScriptException("The rule no longer compiles: " + ex.Message));
        }
    }

    public void OnStreamChanged(string tenant, string streamId, long version)
    {
        if (streamId == StreamIds.Rules) _committed.AddOrUpdate(tenant, version, (_, known) => Math.Max(known, version));
    }

    /// <summary>Drops every cached set (an engine-wide rule was switched off or on).</summary>
    public void InvalidateAll() => _cache.Clear();

    private bool IsStale(string tenant, Entry entry) => _committed.TryGetValue(tenant, out var committed) && entry.Version < committed;
}
