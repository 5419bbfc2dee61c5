using System.Text.Json.Nodes;
using Crm.Engine.Domain;

namespace Crm.Engine.Grains;

/// <summary>What a merge asks of the records that point to the merged one.</summary>
internal abstract partial class RecordGrain
{
    public Task<CrmRecord> MoveReferencesAsync(string targetType, string fromId, string toId, WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            EnsureLive();
            var field = targetType + "Id";
            if (RecordSchema.For(type).Find(field) is { Kind: FieldKind.Reference } && State.GetString(field) == fromId)
            {
                batch.Add(EventTypes.RecordUpdated, new JsonObject
                {
                    ["changes"] = new JsonObject { [field] = toId },
                    ["previous"] = new JsonObject { [field] = fromId },
                });
            }

            var from = State.Links.FirstOrDefault(l => l.TargetType == targetType && l.TargetId == fromId);
            if (from is null) return;
            if (!State.Links.Any(l => l.TargetType == targetType && l.TargetId == toId))
            {
                batch.Add(EventTypes.RecordLinked, new JsonObject { ["targetType"] = targetType, ["targetId"] = toId, ["role"] = from.Role });
            }

            batch.Add(EventTypes.RecordUnlinked, new JsonObject { ["targetType"] = targetType, ["targetId"] = fromId });
        });

    /// <summary>The state of another record of this tenant, folded from its stream (read only).</summary>
    protected async Task<RecordState> ReadOtherAsync(string otherType, string otherId)
    {
        var events = await store.ReadStreamAsync(Tenant, Storage.StreamIds.ForRecord(otherType, otherId));
        return RecordState.Fold(otherType, otherId, events);
    }
}
