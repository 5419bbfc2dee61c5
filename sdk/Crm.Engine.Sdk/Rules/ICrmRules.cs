namespace Crm.Engine.Rules;

/// <summary>A tenant's rules: versioned JavaScript rules saved over the API, engine-wide rules, dry-runs and backtests.</summary>
public interface ICrmRules
{
    /// <summary>Every rule that applies to the tenant (its own and engine-wide ones), with its health on the answering node.</summary>
    Task<IReadOnlyList<RuleStatus>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>A rule with its health, or null.</summary>
    Task<RuleStatus?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Every saved version of a tenant rule, oldest first.</summary>
    Task<IReadOnlyList<RuleDefinition>> GetVersionsAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Saves a new rule as version 1; <see cref="RecordExistsException"/> when the id is taken.</summary>
    Task<RuleDefinition> CreateAsync(RuleDraft draft, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Saves a rule's next version.</summary>
    Task<RuleDefinition> UpdateAsync(RuleDraft draft, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Turns a rule on.</summary>
    Task<RuleDefinition> EnableAsync(string id, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Turns a rule off, with a reason shown on it.</summary>
    Task<RuleDefinition> DisableAsync(string id, string? reason = null, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a rule; its versions stay readable, as the provenance of what it did.</summary>
    Task DeleteAsync(string id, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>What a rule would do on one event of one record; nothing is changed.</summary>
    Task<RuleDryRun> DryRunAsync(RuleDryRunRequest request, CancellationToken cancellationToken = default);

    /// <summary>What rules would have done over the tenant's stored history; nothing is changed.</summary>
    Task<RuleBacktest> BacktestAsync(RuleBacktestRequest request, CancellationToken cancellationToken = default);
}
