using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Rules;
using Crm.Engine.Settings;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>
/// What a record command decides, apart from where the record lives: a create's plan, the synchronous rules
/// (validate, enrich) and the effects rules have, over one record's <see cref="State"/>. The record grain holds one
/// per activation; a bulk create holds one per new record, so both go through the same code.
/// </summary>
internal sealed class RecordSession(string type, string id, Func<RulePipeline> rules)
{
    /// <summary>The record's state; the owner folds planned events into it and replaces it on reload.</summary>
    public RecordState State { get; set; } = new(type, id);

    /// <summary>The owner's type-specific events that accompany a change (a grain's stage and status transitions).</summary>
    public Action<EventBatch, RecordChangePlan, bool, TenantSettings> Transitions { get; init; } = static (_, _, _, _) => { };

    /// <summary>Reads the record's stream again into <see cref="State"/> (after planned events were rewritten).</summary>
    public required Func<Task> Reload { get; init; }

    private string Type => type;
    private string Id => id;
    private RulePipeline Rules => rules();

    private Task ReloadAsync() => Reload();

    private void AddTransitionEvents(EventBatch batch, RecordChangePlan plan, bool created, TenantSettings settings) =>
        Transitions(batch, plan, created, settings);

    /// <summary>Plans a create of this record from <paramref name="fields"/>: validation, normalisation, its events.</summary>
    public void PlanCreate(EventBatch batch, JsonObject fields, TenantSettings s)
    {
        if (State.Exists) throw new RecordExistsException(type, id);
        var plan = RecordChangePlanner.Plan(type, [], fields, s, isCreate: true, batch.Now);
        batch.Add(EventTypes.RecordCreated, new JsonObject { ["fields"] = plan.Next });
        AddTransitionEvents(batch, plan, created: true, s);
    }

    /// <summary>
    /// Runs the tenant's validate rules, then its enrich rules, on the events <paramref name="batch"/> holds, with
    /// <see cref="State"/> already folded over them. A rejection or a failing rule throws (the caller reloads the
    /// state); enrich changes join the batch, attributed to the rule with the triggering event as causation.
    /// </summary>
    public async Task RunSyncRulesAsync(EventBatch batch, JsonObject? before, TenantSettings s, TenantRuleSet rules, WriteOptions options)
    {
        var depth = RuleCausation.Depth(options.CausationId);
        var triggers = batch.AsCommitted()
            .SelectMany(e => RuleTriggers.For(Type, e.Type, EventUpcaster.Payload(e)).Select(t => (Event: e, Trigger: t)))
            .ToList();
        if (triggers.Count == 0) return;

        var after = State.View(s);
        var rejections = new List<FieldError>();
        var rejecting = new List<string>();
        foreach (var (e, trigger) in triggers)
        {
            foreach (var rule in rules.For(RuleStage.Validate, trigger))
            {
                var outcome = await Rules.EvaluateSyncAsync(rule, RuleTriggers.Input(e, trigger, Type, Id, before, after));
                foreach (var action in outcome.Actions)
                {
                    if (action.Kind != RuleActionKinds.Reject) throw new RuleFailedException(rule.Id, rule.Version, $"act.{action.Kind} cannot be used in a validate rule");
                    var args = action.Args();
                    rejections.Add(new FieldError((string?)args["field"] ?? "record", (string?)args["message"] ?? "Refused by rule " + rule.Id));
                    rejecting.Add(rule.Actor.ToString());
                }
            }
        }

        if (rejections.Count > 0) throw new RuleRejectedException(rejections, [.. rejecting.Distinct()]);

        foreach (var (e, trigger) in triggers)
        {
            foreach (var rule in rules.For(RuleStage.Enrich, trigger))
            {
                var outcome = await Rules.EvaluateSyncAsync(rule, RuleTriggers.Input(e, trigger, Type, Id, before, after));
                var count = batch.Events.Count;
                var rewritten = false;
                batch.Attribution = (rule.Actor, RuleCausation.Format(e.EventId, depth + 1));
                try
                {
                    rewritten = AddRuleEffects(batch, s, rule.Id, rule.Version, outcome.Actions, RuleStage.Enrich);
                }
                catch (CrmException ex) when (ex is not RuleFailedException)
                {
                    throw new RuleFailedException(rule.Id, rule.Version, ex.Message);
                }
                finally
                {
                    batch.Attribution = null;
                }

                if (rewritten)
                {
                    // The command's own events changed (a stage move now waits for approval): fold them again.
                    await ReloadAsync();
                    foreach (var planned in batch.AsCommitted()) State.Apply(planned);
                }
                else
                {
                    foreach (var added in batch.AsCommitted().Skip(count)) State.Apply(added);
                }

                // The next rule sees this one's changes; the view is built again only when there were some.
                if (rewritten || batch.Events.Count != count) after = State.View(s);
            }
        }
    }

    /// <summary>
    /// Adds the events for what a rule asks of this record: field changes, tags and assignment (one update), lead
    /// score, timers, an approval hold. Actions on other records never come here. In the enrich stage a rule's score
    /// lines are replaced by what it says now; in the react stage its points add up. True when events the command
    /// planned were rewritten (a stage move held for approval), not only added to.
    /// </summary>
    public bool AddRuleEffects(EventBatch batch, TenantSettings s, string ruleId, int ruleVersion, IReadOnlyList<RuleAction> actions, RuleStage stage)
    {
        var patch = new JsonObject();
        var addTags = new List<string>();
        var removeTags = new List<string>();
        var scores = new List<(int, string)>();
        var timers = new List<RuleAction>();
        string? approval = null;
        foreach (var action in actions)
        {
            var args = action.Args();
            switch (action.Kind)
            {
                case RuleActionKinds.Set when args["fields"] is JsonObject fields:
                    Merge(patch, fields);
                    break;
                case RuleActionKinds.AddTag:
                    addTags.Add((string)args["tag"]!);
                    break;
                case RuleActionKinds.RemoveTag:
                    removeTags.Add((string)args["tag"]!);
                    break;
                case RuleActionKinds.Assign when args["userId"] is JsonValue user:
                    patch[AssigneeField()] = user.DeepClone();
                    if (args["queue"] is JsonValue queue && Type == RecordTypes.Case) patch["queueId"] = queue.DeepClone();
                    break;
                case RuleActionKinds.Assign when stage != RuleStage.React:
                    throw new RuleFailedException(ruleId, ruleVersion, "round-robin assignment reads the queue or team, so it runs in react rules only");
                case RuleActionKinds.Score when Type != RecordTypes.Contact:
                    throw new RuleFailedException(ruleId, ruleVersion, $"act.score applies to contacts, not to a {Type}");
                case RuleActionKinds.Score:
                    scores.Add(((int)args["points"]!, (string)args["reason"]!));
                    break;
                case RuleActionKinds.SetTimer or RuleActionKinds.CancelTimer:
                    timers.Add(action);
                    break;
                case RuleActionKinds.RequireApproval when stage != RuleStage.Enrich || Type != RecordTypes.Deal:
                    throw new RuleFailedException(ruleId, ruleVersion, "act.requireApproval holds a deal's stage move, so it runs in enrich rules on deals");
                case RuleActionKinds.RequireApproval:
                    approval ??= (string?)args["reason"] ?? "";
                    break;
                default:
                    throw new RuleFailedException(ruleId, ruleVersion, stage == RuleStage.React
                        ? $"act.{action.Kind} does not change the triggering record"
                        : $"act.{action.Kind} can be used in react rules only");
            }
        }

        if (addTags.Count > 0 || removeTags.Count > 0)
        {
            var tags = ((patch["tags"] ?? State.Fields["tags"]) as JsonArray)?.Select(t => (string)t!).ToList() ?? [];
            tags.AddRange(addTags.Where(t => !tags.Contains(t, StringComparer.OrdinalIgnoreCase)));
            tags.RemoveAll(t => removeTags.Contains(t, StringComparer.OrdinalIgnoreCase));
            patch["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]);
        }

        if (patch.Count > 0)
        {
            var plan = RecordChangePlanner.Plan(Type, State.Fields, patch, s, isCreate: false, batch.Now);
            if (!plan.IsEmpty)
            {
                batch.Add(EventTypes.RecordUpdated, new JsonObject { ["changes"] = ToJson(plan.Changes), ["previous"] = ToJson(plan.Previous) });
                AddTransitionEvents(batch, plan, created: false, s);
            }
        }

        if (Type == RecordTypes.Contact && (scores.Count > 0 || stage == RuleStage.Enrich))
        {
            var next = LeadScore.Apply(State.ScoreBreakdown, ruleId, ruleVersion, scores, replace: stage != RuleStage.React);
            if (next is not null)
            {
                batch.Add(EventTypes.ScoreChanged, new JsonObject
                {
                    ["score"] = LeadScore.Total(next),
                    ["previous"] = LeadScore.Total(State.ScoreBreakdown),
                    ["breakdown"] = LeadScore.ToJson(next),
                });
            }
        }

        foreach (var timer in timers)
        {
            var args = timer.Args();
            var name = (string)args["name"]!;
            if (timer.Kind == RuleActionKinds.CancelTimer) AddTimerCancellation(batch, name);
            else AddTimer(batch, new RecordTimer(name, DateTimeOffset.Parse((string)args["dueAt"]!, System.Globalization.CultureInfo.InvariantCulture), args["payload"]?.ToJsonString()));
        }

        return approval is not null && DealGrain.RequestApproval(batch, approval, Actor.Rule(ruleId, ruleVersion));
    }

    private string AssigneeField() => Type switch
    {
        RecordTypes.Contact or RecordTypes.Account or RecordTypes.Deal => "ownerId",
        RecordTypes.Case or RecordTypes.Task => "assigneeId",
        _ => throw new ValidationException("assign", $"a {Type} cannot be assigned"),
    };

    private static void Merge(JsonObject target, JsonObject source)
    {
        foreach (var (key, value) in source)
        {
            if (key == "custom" && value is JsonObject custom && target["custom"] is JsonObject existing)
            {
                foreach (var (name, v) in custom) existing[name] = v?.DeepClone();
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    public void AddTimer(EventBatch batch, RecordTimer timer)
    {
        var payload = RecordTimers.Validate(timer);
        if (!State.Timers.ContainsKey(timer.Name) && State.Timers.Count >= RecordTimers.MaxPerRecord)
        {
            throw new ValidationException("name", $"a record can hold at most {RecordTimers.MaxPerRecord} pending timers");
        }

        var payloadJson = payload?.ToJsonString();
        if (State.Timers.TryGetValue(timer.Name, out var pending) && pending.DueAt == timer.DueAt && pending.PayloadJson == payloadJson) return;
        batch.Add(EventTypes.TimerScheduled, new JsonObject { ["name"] = timer.Name, ["dueAt"] = timer.DueAt, ["payload"] = payload });
        batch.ScheduleTimers.Add(new TimerSchedule(timer.Name, timer.DueAt, payloadJson));
    }

    public void AddTimerCancellation(EventBatch batch, string name)
    {
        RecordTimers.EnsureNotReserved(name);
        if (!State.Timers.ContainsKey(name)) return;
        batch.Add(EventTypes.TimerCancelled, new JsonObject { ["name"] = name });
        batch.CancelTimers.Add(name);
    }

    public static JsonObject ToJson(IReadOnlyDictionary<string, JsonNode?> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = v?.DeepClone();
        return o;
    }
}
