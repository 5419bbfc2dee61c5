using Crm.Engine.Grains;
using Crm.Engine.Rules;

namespace Crm.Engine.Client;

/// <summary>The <see cref="ICrmRules"/> of one tenant over its rule-book and rule-lab grains.</summary>
internal sealed class CrmRules(IGrainFactory grains, string tenant, Actor actor) : ICrmRules
{
    private IRuleBookGrain Book => grains.GetGrain<IRuleBookGrain>(tenant);
    private IRuleLabGrain Lab => grains.GetGrain<IRuleLabGrain>(tenant);

    public Task<IReadOnlyList<RuleStatus>> ListAsync(CancellationToken cancellationToken = default) => Lab.ListAsync();

    public async Task<RuleStatus?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await Lab.ListAsync()).FirstOrDefault(r => r.Rule.Id == id);

    public Task<IReadOnlyList<RuleDefinition>> GetVersionsAsync(string id, CancellationToken cancellationToken = default) => Book.VersionsAsync(id);

    public Task<RuleDefinition> CreateAsync(RuleDraft draft, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Book.SaveAsync(draft, mustBeNew: true, options.ActingAs(actor));

    public Task<RuleDefinition> UpdateAsync(RuleDraft draft, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Book.SaveAsync(draft, mustBeNew: false, options.ActingAs(actor));

    public Task<RuleDefinition> EnableAsync(string id, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Book.SetEnabledAsync(id, true, null, options.ActingAs(actor));

    public Task<RuleDefinition> DisableAsync(string id, string? reason = null, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Book.SetEnabledAsync(id, false, reason ?? "Disabled by " + (options.ActingAs(actor).Actor ?? actor), options.ActingAs(actor));

    public Task DeleteAsync(string id, WriteOptions? options = null, CancellationToken cancellationToken = default) => Book.DeleteAsync(id, options.ActingAs(actor));

    public Task<RuleDryRun> DryRunAsync(RuleDryRunRequest request, CancellationToken cancellationToken = default) => Lab.DryRunAsync(request);

    public Task<RuleBacktest> BacktestAsync(RuleBacktestRequest request, CancellationToken cancellationToken = default) => Lab.BacktestAsync(request);
}
