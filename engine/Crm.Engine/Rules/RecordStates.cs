using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Storage;

namespace Crm.Engine.Rules;

/// <summary>
/// Folds record streams forward while a run of log events is handled in order, so the state just before and after
/// each event costs one read of the events not yet seen.
/// </summary>
internal sealed class RecordStates(IEventStore store)
{
    private readonly Dictionary<(string Tenant, string Stream), RecordState> _states = [];

    public static bool IsRecordStream(string streamId, out string type, out string id)
    {
        var slash = streamId.IndexOf('/');
        type = slash > 0 ? streamId[..slash] : "";
        id = slash > 0 ? streamId[(slash + 1)..] : "";
        return slash > 0 && RecordTypes.IsKnown(type);
    }

    /// <summary>The record's fields (as readers see them) just before and just after <paramref name="e"/>.</summary>
    public async Task<(JsonObject? Before, JsonObject After)> AroundAsync(CrmEvent e, string type, string id, TenantSettings settings, CancellationToken cancellationToken)
    {
        var key = (e.Tenant, e.StreamId);
        if (!_states.TryGetValue(key, out var state) || state.Version >= e.Version) state = new RecordState(type, id);
        if (state.Version < e.Version - 1)
        {
            var missing = await store.ReadStreamAsync(e.Tenant, e.StreamId, state.Version + 1, (int)(e.Version - 1 - state.Version), cancellationToken);
            foreach (var m in missing) state.Apply(m);
        }

        var before = state.Exists ? state.View(settings) : null;
        state.Apply(e);
        _states[key] = state;
        return (before, state.View(settings));
    }
}
