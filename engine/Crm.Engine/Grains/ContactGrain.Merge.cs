using System.Text.Json.Nodes;
using Crm.Engine.Domain;

namespace Crm.Engine.Grains;

/// <summary>The two halves of a contact merge: the tombstone on the merged contact and the take-over on the survivor.</summary>
internal sealed partial class ContactGrain
{
    public async Task MarkMergedAsync(string survivorId, WriteOptions options) =>
        await ExecuteAsync(options, (batch, _) =>
        {
            if (State.MergedInto == survivorId) return;
            if (State.MergedInto is { } other) throw new MergeRefusedException("mergeId", $"Contact '{Id}' was merged into '{other}'.", other);
            EnsureLive();
            // Pending timers (follow-ups) stop here and are set again on the survivor.
            var timers = new JsonArray();
            foreach (var timer in State.Timers.Values)
            {
                batch.Add(EventTypes.TimerCancelled, new JsonObject { ["name"] = timer.Name });
                batch.CancelTimers.Add(timer.Name);
                timers.Add(new JsonObject { ["name"] = timer.Name, ["dueAt"] = timer.DueAt, ["payload"] = timer.PayloadJson is null ? null : JsonNode.Parse(timer.PayloadJson) });
            }

            batch.Add(EventTypes.RecordMergedInto, new JsonObject { ["survivorId"] = survivorId, ["timers"] = timers });
        });

    public async Task<string> AbsorbMergedAsync(string mergedId, WriteOptions options)
    {
        await EnsureLoadedAsync();
        if (State.MergeSummaries.TryGetValue(mergedId, out var done)) return done.ToJsonString();

        var merged = await ReadOtherAsync(Type, mergedId);
        if (merged.MergedInto != Id) throw new MergeRefusedException("mergeId", $"Contact '{mergedId}' is not merged into '{Id}'.", merged.MergedInto);
        // An email or external id the tombstone released may have been claimed by another record before this append:
        // the survivor goes without it (listed as a conflict) rather than leaving the merge half done.
        var held = new List<(string Field, string Value)>();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await AbsorbAsync(mergedId, merged, held, options);
            }
            catch (DuplicateRecordException duplicate) when (attempt < MaxHeldValues && duplicate.ExistingId != Id)
            {
                held.Add((duplicate.Field, duplicate.Value));
            }
        }
    }

    private const int MaxHeldValues = 20;

    private async Task<string> AbsorbAsync(string mergedId, RecordState merged, IReadOnlyCollection<(string Field, string Value)> held, WriteOptions options)
    {
        JsonObject? summary = null;
        // The merged contact is tombstoned already: a validate rule refusing the take-over would leave the merge half done.
        await ExecuteWithoutSyncRulesAsync(options, (batch, _) =>
        {
            if (State.MergeSummaries.TryGetValue(mergedId, out summary)) return;
            EnsureLive();
            var plan = ContactMergePlanner.Plan(State, merged, held);
            if (plan.Changes.Count > 0)
            {
                var changes = new JsonObject();
                var previous = new JsonObject();
                foreach (var (k, v) in plan.Changes) changes[k] = v?.DeepClone();
                foreach (var (k, v) in plan.Previous) previous[k] = v?.DeepClone();
                batch.Add(EventTypes.RecordUpdated, new JsonObject { ["changes"] = changes, ["previous"] = previous });
            }

            foreach (var link in plan.NewLinks)
            {
                batch.Add(EventTypes.RecordLinked, new JsonObject { ["targetType"] = link.TargetType, ["targetId"] = link.TargetId, ["role"] = link.Role });
            }

            foreach (var consent in plan.ConsentEvents) batch.Add(EventTypes.ConsentRecorded, consent);
            var timers = merged.MergedTimers.Where(t => !State.Timers.ContainsKey(t.Name)).ToList();
            foreach (var timer in timers) AddTimer(batch, timer);
            summary = new JsonObject
            {
                ["mergedId"] = mergedId,
                ["filled"] = new JsonArray([.. plan.Filled.Select(f => (JsonNode)f)]),
                ["conflicts"] = new JsonArray([.. plan.Conflicts.Select(c => (JsonNode)new JsonObject { ["field"] = c.Field, ["kept"] = c.Kept, ["discarded"] = c.Discarded })]),
                ["links"] = plan.NewLinks.Count,
                ["consentTaken"] = plan.ConsentEvents.Count,
                ["timers"] = new JsonArray([.. timers.Select(t => (JsonNode)t.Name)]),
            };
            batch.Add(EventTypes.RecordMerged, summary);
        });

        return (State.MergeSummaries.GetValueOrDefault(mergedId) ?? summary)!.ToJsonString();
    }
}
