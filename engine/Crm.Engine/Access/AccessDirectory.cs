using Crm.Engine.Storage;

namespace Crm.Engine.Access;

/// <summary>
/// Per-silo view of tenants and API keys used to authenticate requests without a grain call.
/// The access registry grain publishes every change into it.
/// </summary>
public sealed class AccessDirectory(IEventStore store)
{
    private volatile AccessState? _state;
    private readonly SemaphoreSlim _loading = new(1, 1);

    /// <summary>The current state, loaded from the store on first use.</summary>
    public async ValueTask<AccessState> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_state is { } loaded) return loaded;
        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state is null)
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
        var state = await GetAsync(cancellationToken).ConfigureAwait(false);
        var key = state.FindByHash(ApiKeys.Hash(presentedKey));
        return key is { RevokedAt: null } && state.HasTenant(key.Tenant) ? key : null;
    }

    internal void Publish(AccessState state)
    {
        var current = _state;
        if (current is null || current.Version <= state.Version) _state = state;
    }
}
