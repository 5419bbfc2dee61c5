using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Rules;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Grains;

/// <summary>The synchronous stages of the rules pipeline (validate, enrich) and the effects rules have on this record.</summary>
internal abstract partial class RecordGrain
{
    private RulePipeline? _rules;

    private RulePipeline Rules => _rules ??= ServiceProvider.GetRequiredService<RulePipeline>();

    public Task<CrmRecord> ApplyRuleActionsAsync(string ruleId, int ruleVersion, IReadOnlyList<RuleAction> actions, WriteOptions options) =>
        ExecuteAsync(options, (batch, s) =>
        {
            EnsureLive();
            Session.AddRuleEffects(batch, s, ruleId, ruleVersion, actions, RuleStage.React);
        });

    /// <summary>The create planning, sync rules and rule effects this activation shares with bulk creates.</summary>
    private RecordSession Session => _session ??= new RecordSession(Type, Id, () => Rules)
    {
        Transitions = AddTransitionEvents,
        Reload = () => ReloadAsync(),
    };

    private RecordSession? _session;

    private Task RunSyncRulesAsync(EventBatch batch, System.Text.Json.Nodes.JsonObject? before, TenantSettings s, TenantRuleSet rules, WriteOptions options) =>
        Session.RunSyncRulesAsync(batch, before, s, rules, options);
}
