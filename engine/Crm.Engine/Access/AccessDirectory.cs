using Crm.Engine.Hosting;
using Crm.Engine.Storage;

namespace Crm.Engine.Access;

/// <summary>
/// Per-silo view of tenants and API keys used to authenticate requests without a grain call.
/// The access registry grain publishes every change into it; in a cluster the log follower reports the versions other
/// nodes committed, so a revoked key stops working on every node, and an unknown key is looked for in the store before
/// it is refused, so a key issued through another node works at once.
/// </summary>
public sealed class AccessDirectory(IEventStore store, CrmEngineOptions options)
{
    // A read racing a commit may return the stream just before it; reading again sees it (it was committed before it was seen).
    private const int StaleReadAttempts = 3;
    private volatile AccessState? _state;
    private long _committed;
    private readonly SemaphoreSlim _loading = new(1, 1);

    /// <summary>The current state, loaded from the store on first use and again when another node changed it.</summary>
    public async ValueTask<AccessState> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_state is { } loaded && !IsStale(loaded)) return loaded;
        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; attempt < StaleReadAttempts && (_state is null || IsStale(_state)); attempt++)
            {
                var events = await store.ReadStreamAsync(AccessState.SystemTenant, AccessState.StreamId, 1, int.MaxValue, cancellationToken).ConfigureAwait(false);
                Publish(AccessState.Fold(events));
            }

            return _state!;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>The live key matching <paramref name="presentedKey"/>, or null (unknown or revoked).</summary>
    public async ValueTask<ApiKeyInfo?> AuthenticateAsync(string presentedKey, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(presentedKey) || presentedKey.Length > 512) return null;
        var hash = ApiKeys.Hash(presentedKey);
        var state = await GetAsync(cancellationToken).ConfigureAwait(false);
        var key = state.FindByHash(hash);
        if (key is null && options.StoreIsShared && await HasNewerEventsAsync(state, cancellationToken).ConfigureAwait(false))
        {
            // Issued through another node a moment ago; its log follower has not reported it yet.
            Observe(state.Version + 1);
            state = await GetAsync(cancellationToken).ConfigureAwait(false);
            key = state.FindByHash(hash);
        }

        return key is { RevokedAt: null } && state.HasTenant(key.Tenant) ? key : null;
    }

    // One indexed read of at most one event: what an unknown key costs.
    private async Task<bool> HasNewerEventsAsync(AccessState state, CancellationToken cancellationToken) =>
        (await store.ReadStreamAsync(AccessState.SystemTenant, AccessState.StreamId, state.Version + 1, 1, cancellationToken).ConfigureAwait(false)).Count > 0;

    internal void Publish(AccessState state)
    {
        var current = _state;
        if (current is null || current.Version <= state.Version) _state = state;
    }

    /// <summary>A node committed <paramref name="version"/> of the access stream; an older view is read again.</summary>
    internal void Observe(long version)
    {
        var known = Interlocked.Read(ref _committed);
        while (version > known)
        {
            var seen = Interlocked.CompareExchange(ref _committed, version, known);
            if (seen == known) return;
            known = seen;
        }
    }

    private bool IsStale(AccessState state) => state.Version < Interlocked.Read(ref _committed);
}
