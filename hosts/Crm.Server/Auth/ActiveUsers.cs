using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Cluster;

namespace Crm.Server.Auth;

/// <summary>
/// Whether users are live and active, remembered for a second so a request costs no grain call. A change of a user
/// made through this node is forgotten at once; in a cluster, one made through another node is forgotten when this
/// node's log follower sees it.
/// </summary>
internal sealed class ActiveUsers(ICrmClient crm, TimeProvider time) : IStreamChangeObserver
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    private static readonly string UserStreamPrefix = RecordTypes.User + "/";
    private readonly ConcurrentDictionary<(string Tenant, string User), (bool Active, long At)> _known = new();

    // Bumped by every Forget, so a lookup that raced a change does not remember what it read before the change.
    private long _changes;

    public async ValueTask<bool> IsActiveAsync(string tenant, string userId, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (_known.TryGetValue((tenant, userId), out var known) && time.GetElapsedTime(known.At, now) < Freshness) return known.Active;
        var changes = Interlocked.Read(ref _changes);
        var user = await crm.ForTenant(tenant).GetAsync(RecordTypes.User, userId, cancellationToken: cancellationToken);
        var active = user is not null &&
            !(user.Get("active") is JsonValue flag && flag.GetValueKind() == JsonValueKind.False);
        if (Interlocked.Read(ref _changes) == changes) _known[(tenant, userId)] = (active, now);
        return active;
    }

    /// <summary>Forgets what is known of a user that was just changed, so its next request sees the change.</summary>
    public void Forget(string tenant, string userId)
    {
        Interlocked.Increment(ref _changes);
        _known.TryRemove((tenant, userId), out _);
    }

    void IStreamChangeObserver.OnStreamChanged(string tenant, string streamId, long version)
    {
        if (streamId.StartsWith(UserStreamPrefix, StringComparison.Ordinal)) Forget(tenant, streamId[UserStreamPrefix.Length..]);
    }
}
