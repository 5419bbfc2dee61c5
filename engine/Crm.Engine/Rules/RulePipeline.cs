namespace Crm.Engine.Rules;

/// <summary>
/// Evaluates rules for the pipeline's stages and keeps each rule's health: a failure in validate or enrich fails
/// the command with <see cref="RuleFailedException"/>; in react (and in dry-runs) it is recorded and the rest goes on.
/// </summary>
internal sealed class RulePipeline(RuleSetProvider ruleSets, RuleHealth health, RuleOptions options)
{
    public RuleOptions Options => options;

    /// <summary>The tenant's enabled rules.</summary>
    public ValueTask<TenantRuleSet> RulesAsync(string tenant) => ruleSets.GetAsync(tenant);

    /// <summary>Evaluates a validate or enrich rule; a failure is recorded and thrown as <see cref="RuleFailedException"/>.</summary>
    public async ValueTask<RuleOutcome> EvaluateSyncAsync(ActiveRule rule, RuleEvent e)
    {
        var (outcome, error) = Evaluate(rule, e);
        if (error is null) return outcome!;
        await health.FailedAsync(e.Tenant, rule, e.EventId, error);
        throw error as RuleFailedException ?? new RuleFailedException(rule.Id, rule.Version, error.Message);
    }

    /// <summary>
    /// Evaluates a react rule; a failure is recorded and gives null. A rule this call's failure disabled is added to
    /// <paramref name="disabled"/>, and a rule in it is not evaluated (the caller's rule set may predate the switch).
    /// </summary>
    public async ValueTask<RuleOutcome?> TryEvaluateAsync(ActiveRule rule, RuleEvent e, ISet<(string Tenant, string Rule)>? disabled = null)
    {
        if (disabled?.Contains((e.Tenant, rule.Id)) == true) return null;
        var (outcome, error) = Evaluate(rule, e);
        if (error is null) return outcome;
        if (await health.FailedAsync(e.Tenant, rule, e.EventId, error)) disabled?.Add((e.Tenant, rule.Id));
        return null;
    }

    /// <summary>Records a failure that happened after evaluation (a cascade stopped at the depth limit).</summary>
    public Task RecordFailureAsync(ActiveRule rule, RuleEvent e, Exception error) => health.FailedAsync(e.Tenant, rule, e.EventId, error);

    private (RuleOutcome? Outcome, Exception? Error) Evaluate(ActiveRule rule, RuleEvent e)
    {
        try
        {
            var outcome = rule.Evaluate(e);
            health.Succeeded(e.Tenant, rule);
            return (outcome, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, ex);
        }
    }
}
