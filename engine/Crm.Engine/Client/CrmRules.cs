using Crm.Engine.Grains;
using Crm.Engine.Rules;

namespace Crm.Engine.Client;

/// <summary>The <see cref="ICrmRules"/> of one tenant over its rule-book and rule-lab grains.</summary>
internal sealed class CrmRules(IGrainFactory grains, string tenant, Actor actor) : ICrmRules
{
    private IRuleBookGrain Book => grains.GetGrain<IRuleBookGrain>(tenant);
    private IRuleLabGrain Lab => grains.GetGrain<IRuleLabGrain>(tenant);

    private WriteOptions With(WriteOptions? options) =>
        options is null ? new WriteOptions { Actor = actor } : options.Actor is null ? options with { Actor = actor } : options;

    public Task<IReadOnlyList<RuleStatus>> ListAsync(CancellationToken cancellationToken = default) => Lab.ListAsync();

    public async Task<RuleStatus?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await Lab.ListAsync()).FirstOrDefault(r => r.Rule.Id == id);

    public Task<IReadOnlyList<RuleDefinition>> GetVersionsAsync(string id, CancellationToken cancellationToken = default) => Book.VersionsAsync(id);

    public Task<RuleDefinition> CreateAsync(RuleDraft draft, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Book.SaveAsync(draft, mustBeNew: true, With(options));

    public Task<RuleDefinition> UpdateAsync(RuleDraft draft, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Book.SaveAsync(draft, mustBeNew: false, With(options));

    public Task<RuleDefinition> EnableAsync(string id, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Book.SetEnabledAsync(id, true, null, With(options));

    public Task<RuleDefinition> DisableAsync(string id, string? reason = null, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Book.SetEnabledAsync(id, false, reason ?? "Disabled by " + (With(options).Actor ?? actor), With(options));

    public Task DeleteAsync(string id, WriteOptions? options = null, CancellationToken cancellationToken = default) => Book.DeleteAsync(id, With(options));

    public Task<RuleDryRun> DryRunAsync(RuleDryRunRequest request, CancellationToken cancellationToken = default) => Lab.DryRunAsync(request);

    public Task<RuleBacktest> BacktestAsync(RuleBacktestRequest request, CancellationToken cancellationToken = default) => Lab.BacktestAsync(request);
}
