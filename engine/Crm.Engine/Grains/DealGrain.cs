using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Grains;

/// <summary>
/// A deal: records each stage it enters, with the time. A move into a stage that requires approval (at the deal's
/// amount) is held: the deal stays where it is with a pending <c>approval</c> until a manager approves or rejects it.
/// </summary>
internal sealed class DealGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<DealGrain> logger)
    : RecordGrain(RecordTypes.Deal, store, settings, time, logger), IDealGrain
{
    /// <summary>Longest approval reason or comment, in characters.</summary>
    public const int MaxNoteLength = 2_000;

    private static readonly string[] HeldFields = ["stage", "pipeline", "probability"];

    protected override void AddTransitionEvents(EventBatch batch, RecordChangePlan plan, bool created, TenantSettings settings)
    {
        if (!created && !plan.Changes.ContainsKey("stage") && !plan.Changes.ContainsKey("pipeline")) return;
        var pipelineId = plan.Next["pipeline"]?.GetValue<string>();
        var stageId = plan.Next["stage"]?.GetValue<string>();
        if (!created && State.Approval is { IsPending: true } pending)
        {
            if (pending.ToStage == stageId && pending.Pipeline == pipelineId)
            {
                // Asked again for the move that already waits: it keeps waiting under the same request.
                HoldFields(batch);
                return;
            }

            batch.Add(EventTypes.DealApprovalCancelled, new JsonObject
            {
                ["requestId"] = pending.RequestId,
                ["toStage"] = pending.ToStage,
                ["reason"] = $"moved to stage '{stageId}' instead",
                ["decidedBy"] = batch.Actor.ToString(),
            });
        }

        AddStageChanged(batch, plan.Next, created ? null : State.Fields["stage"]);
        if (created) return;

        var stage = settings.FindPipeline(pipelineId ?? "")?.Stages.FirstOrDefault(s => s.Id == stageId);
        var amount = plan.Next["amount"] is JsonValue a ? a.GetValue<decimal>() : (decimal?)null;
        if (stage is not null && stage.NeedsApprovalFor(amount))
        {
            var reason = stage.ApprovalMinAmount is { } min
                ? $"stage '{stage.Id}' requires approval for amounts of {min.ToString(CultureInfo.InvariantCulture)} or more"
                : $"stage '{stage.Id}' requires approval";
            RequestApproval(batch, reason, batch.Actor);
        }
    }

    /// <summary>
    /// Holds the stage change this batch plans (its <c>deal.stageChanged</c> and the <c>stage</c>, <c>pipeline</c> and
    /// <c>probability</c> changes of its <c>record.updated</c>) for a manager's approval: the change is taken out of
    /// the batch and <c>deal.approvalRequested</c> is written in its place, with the held changes. Other fields of the
    /// same command still apply. For rules (action <c>requireApproval</c>), which call it after the command planned
    /// its events and before they are folded and appended. False, with the batch untouched, when the batch holds no
    /// stage change of an existing deal, or when it is the change an approval just granted.
    /// </summary>
    internal static bool RequestApproval(EventBatch batch, string reason, Actor requestedBy)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(requestedBy);
        if (batch.Events.Any(e => e.Type is EventTypes.RecordCreated or EventTypes.DealApprovalGranted)) return false;
        var stageChanged = batch.Events.LastOrDefault(e => e.Type == EventTypes.DealStageChanged);
        if (stageChanged is null) return false;

        var move = JsonNode.Parse(stageChanged.PayloadJson)!.AsObject();
        var held = HoldFields(batch);
        batch.Replace(stageChanged, EventTypes.DealApprovalRequested, new JsonObject
        {
            ["requestId"] = RecordIds.New(),
            ["pipeline"] = move["pipeline"]?.DeepClone(),
            ["fromStage"] = move["from"]?.DeepClone(),
            ["toStage"] = move["to"]?.DeepClone(),
            ["reason"] = Reason(reason),
            ["requestedBy"] = requestedBy.ToString(),
            ["held"] = held,
        });
        return true;
    }

    public async Task<CrmRecord> ApproveStageAsync(string? comment, string? expectedRequestId, WriteOptions options)
    {
        comment = Comment(comment);
        var requestId = await PendingRequestIdAsync(expectedRequestId);
        // The approver's write is caused by the request it decides.
        return await ExecuteAsync(options with { CausationId = requestId }, (batch, s) =>
        {
            var pending = EnsurePending(requestId);
            batch.Add(EventTypes.DealApprovalGranted, Decision(pending, comment, batch));
            var plan = RecordChangePlanner.Plan(Type, State.Fields, (JsonObject)pending.Held.DeepClone(), s, isCreate: false, batch.Now);
            if (plan.IsEmpty) return;
            batch.Add(EventTypes.RecordUpdated, new JsonObject { ["changes"] = ToJson(plan.Changes), ["previous"] = ToJson(plan.Previous) });
            if (plan.Changes.ContainsKey("stage") || plan.Changes.ContainsKey("pipeline")) AddStageChanged(batch, plan.Next, State.Fields["stage"]);
        });
    }

    public async Task<CrmRecord> RejectStageAsync(string? comment, string? expectedRequestId, WriteOptions options)
    {
        comment = Comment(comment);
        var requestId = await PendingRequestIdAsync(expectedRequestId);
        return await ExecuteAsync(options with { CausationId = requestId }, (batch, _) =>
            batch.Add(EventTypes.DealApprovalRejected, Decision(EnsurePending(requestId), comment, batch)));
    }

    private async Task<string> PendingRequestIdAsync(string? expectedRequestId)
    {
        await EnsureLoadedAsync();
        EnsureLive();
        var pending = State.Approval is { IsPending: true } p ? p : throw new ApprovalNotPendingException(Id, $"Deal '{Id}' has no pending stage approval.");
        if (expectedRequestId is not null && expectedRequestId != pending.RequestId)
        {
            throw new ApprovalNotPendingException(Id, $"Approval request '{expectedRequestId}' of deal '{Id}' is not pending; '{pending.RequestId}' is.", pending.RequestId);
        }

        return pending.RequestId;
    }

    private DealApproval EnsurePending(string requestId)
    {
        EnsureLive();
        return State.Approval is { IsPending: true } p && p.RequestId == requestId
            ? p
            : throw new ApprovalNotPendingException(Id, $"Approval request '{requestId}' of deal '{Id}' is no longer pending.", State.Approval is { IsPending: true } other ? other.RequestId : null);
    }

    private static JsonObject Decision(DealApproval pending, string? comment, EventBatch batch) => new()
    {
        ["requestId"] = pending.RequestId,
        ["fromStage"] = pending.FromStage,
        ["toStage"] = pending.ToStage,
        ["comment"] = comment,
        ["decidedBy"] = batch.Actor.ToString(),
    };

    private static void AddStageChanged(EventBatch batch, JsonObject next, JsonNode? from) =>
        batch.Add(EventTypes.DealStageChanged, new JsonObject
        {
            ["pipeline"] = next["pipeline"]?.DeepClone(),
            ["from"] = from?.DeepClone(),
            ["to"] = next["stage"]?.DeepClone(),
        });

    /// <summary>
    /// Takes the stage, pipeline and probability changes out of the batch's <c>record.updated</c> events (dropping one
    /// when nothing else is left in it) and answers them, the latest value of each.
    /// </summary>
    private static JsonObject HoldFields(EventBatch batch)
    {
        var held = new JsonObject();
        foreach (var updated in batch.Events.Where(e => e.Type == EventTypes.RecordUpdated).ToList())
        {
            var payload = JsonNode.Parse(updated.PayloadJson)!.AsObject();
            var changes = payload["changes"] as JsonObject ?? [];
            var previous = payload["previous"] as JsonObject ?? [];
            var fields = HeldFields.Where(changes.ContainsKey).ToList();
            if (fields.Count == 0) continue;
            foreach (var field in fields)
            {
                held[field] = changes[field]?.DeepClone();
                changes.Remove(field);
                previous.Remove(field);
            }

            batch.Replace(updated, changes.Count == 0 ? null : EventTypes.RecordUpdated, payload);
        }

        return held;
    }

    private static string Reason(string? text)
    {
        text = string.IsNullOrWhiteSpace(text) ? "approval required" : text.Trim();
        return text.Length <= MaxNoteLength ? text : text[..MaxNoteLength];
    }

    /// <summary>A decision's comment, trimmed (null when blank).</summary>
    /// <exception cref="ValidationException">It is too long.</exception>
    private static string? Comment(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        return text.Length <= MaxNoteLength ? text : throw new ValidationException("comment", $"must be at most {MaxNoteLength} characters");
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, JsonNode?> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = v?.DeepClone();
        return o;
    }
}
