using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Settings;
using Crm.Engine.Storage;

namespace Crm.Engine.Rules;

/// <summary>
/// The react stage: a log subscription that evaluates each tenant's react rules on every committed event, once per
/// cluster. A decision — rule id and version, triggering event, the actions — is stored as an outbox row with the
/// subscription's checkpoint; <see cref="RuleActionExecutor"/> then executes it and retries it, never evaluating the
/// rule again. Rules see the record as it was just before and just after the event, and the event's time as now.
/// </summary>
internal sealed class RuleReactor(IEventStore store, RulePipeline pipeline, RuleSetProvider ruleSetProvider, TenantSettingsProvider settings, RuleActionExecutor executor) : ILogConsumer
{
    public const string SubscriptionName = "crm.rules";
    public const string ActionsKind = "rule.actions";
    public const string CascadeStoppedKind = "rule.cascadeStopped";

    public string Name => SubscriptionName;

    public async Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken)
    {
        var outbox = new List<OutboxMessage>();
        var ruleSets = new Dictionary<string, TenantRuleSet>(StringComparer.Ordinal);
        var states = new RecordStates(store);
        var disabled = new HashSet<(string, string)>();
        async ValueTask<TenantRuleSet> RulesOf(string tenant)
        {
            if (!ruleSets.TryGetValue(tenant, out var set)) ruleSets[tenant] = set = await pipeline.RulesAsync(tenant);
            return set;
        }

        foreach (var e in events)
        {
            if (e.StreamId == StreamIds.Rules)
            {
                // A rule saved, switched or deleted: the events after it in the log are decided with the rules as
                // they are from then on, even on a node whose cache has not heard of the change yet.
                ruleSetProvider.OnStreamChanged(e.Tenant, e.StreamId, e.Version);
                ruleSets.Remove(e.Tenant);
            }

            if (e.StreamId == StreamIds.Rules && e.Type == EventTypes.RuleScheduleFired)
            {
                await DecideScheduleAsync(e, await RulesOf(e.Tenant), outbox, disabled);
                continue;
            }

            if (!RecordStates.IsRecordStream(e.StreamId, out var type, out var id)) continue;
            var rules = await RulesOf(e.Tenant);
            if (!rules.HasReactRules) continue;

            var hits = RuleTriggers.For(type, e.Type, EventUpcaster.Payload(e))
                .SelectMany(t => rules.For(RuleStage.React, t).Select(r => (Trigger: t, Rule: r)))
                .ToList();
            if (hits.Count == 0) continue;

            var tenantSettings = await settings.GetAsync(e.Tenant, e.Time, cancellationToken);
            var (before, after) = await states.AroundAsync(e, type, id, tenantSettings, cancellationToken);
            var depth = RuleCausation.Depth(e.CausationId);
            foreach (var (trigger, rule) in hits)
            {
                var input = RuleTriggers.Input(e, trigger, type, id, before, after);
                var outcome = await pipeline.TryEvaluateAsync(rule, input, disabled);
                if (outcome is not { Matched: true, Actions.Count: > 0 }) continue;

                var stopped = depth + 1 > pipeline.Options.MaxCascadeDepth;
                if (stopped)
                {
                    await pipeline.RecordFailureAsync(rule, input, new RuleFailedException(rule.Id, rule.Version,
                        $"the cascade of rule actions reached the depth limit of {pipeline.Options.MaxCascadeDepth}; its actions on event {e.EventId} were not taken"));
                }

                outbox.Add(new OutboxMessage
                {
                    Key = $"{e.EventId:N}/{rule.Id}@{rule.Version}/{trigger.Name}",
                    Kind = stopped ? CascadeStoppedKind : ActionsKind,
                    Tenant = e.Tenant,
                    SourceEventId = e.EventId,
                    PayloadJson = Decision(rule, trigger, e, type, id, depth + 1, outcome.Actions).ToJsonString(),
                });
            }
        }

        return outbox;
    }

    /// <summary>Actions a schedule rule may take: it has no triggering record to change.</summary>
    private static readonly HashSet<string> RecordFreeActions =
        [RuleActionKinds.CreateTask, RuleActionKinds.CreateRecord, RuleActionKinds.UpdateRecord, RuleActionKinds.Send, RuleActionKinds.Webhook];

    private async Task DecideScheduleAsync(CrmEvent e, TenantRuleSet rules, List<OutboxMessage> outbox, ISet<(string, string)> disabled)
    {
        var payload = EventUpcaster.Payload(e);
        var rule = rules.Scheduled.FirstOrDefault(r => r.Id == (string?)payload["rule"]);
        if (rule is null) return; // disabled or deleted since the timer was set
        var trigger = new RuleTrigger(RuleTriggers.Schedule, [], new JsonObject { ["occurrence"] = payload["occurrence"]?.DeepClone(), ["cron"] = payload["cron"]?.DeepClone() });
        var input = RuleTriggers.Input(e, trigger, "", "", null, []);
        var outcome = await pipeline.TryEvaluateAsync(rule, input, disabled);
        if (outcome is not { Matched: true, Actions.Count: > 0 }) return;
        if (outcome.Actions.FirstOrDefault(a => !RecordFreeActions.Contains(a.Kind)) is { } bad)
        {
            await pipeline.RecordFailureAsync(rule, input, new RuleFailedException(rule.Id, rule.Version, $"act.{bad.Kind} needs a triggering record; a schedule rule has none"));
            return;
        }

        outbox.Add(new OutboxMessage
        {
            Key = $"{e.EventId:N}/{rule.Id}@{rule.Version}/{trigger.Name}",
            Kind = ActionsKind,
            Tenant = e.Tenant,
            SourceEventId = e.EventId,
            PayloadJson = Decision(rule, trigger, e, "", "", 1, outcome.Actions).ToJsonString(),
        });
    }

    /// <summary>Decisions about one record run in order; decisions about different records run side by side.</summary>
    public string? OrderingKey(OutboxEntry entry)
    {
        var payload = System.Text.Json.Nodes.JsonNode.Parse(entry.PayloadJson);
        return entry.Tenant + "/" + (string?)payload?["recordType"] + "/" + (string?)payload?["recordId"];
    }

    public Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken) =>
        entry.Kind == ActionsKind ? executor.ExecuteAsync(entry, cancellationToken) : Task.CompletedTask;

    /// <summary>The stored decision: provenance (rule, version, event) and the actions, in the order the rule took them.</summary>
    internal static JsonObject Decision(ActiveRule rule, RuleTrigger trigger, CrmEvent e, string type, string id, int depth, IReadOnlyList<RuleAction> actions) => new()
    {
        ["rule"] = rule.Id,
        ["version"] = rule.Version,
        ["eventId"] = e.EventId.ToString("D"),
        ["trigger"] = trigger.Name,
        ["recordType"] = type,
        ["recordId"] = id,
        ["depth"] = depth,
        ["time"] = e.Time,
        ["actions"] = new JsonArray([.. actions.Select(a => (JsonNode)new JsonObject { ["kind"] = a.Kind, ["args"] = a.Args() })]),
    };
}
