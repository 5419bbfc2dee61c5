using System.Collections.Concurrent;
using Crm.Engine.Grains;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Rules;

/// <summary>
/// Counts each rule's evaluations and failures per tenant, logs every failure with the rule and event, and disables a
/// rule after <see cref="RuleOptions.DisableAfterFailures"/> failures in a row, with its last error as the reason.
/// </summary>
internal sealed partial class RuleHealth(IGrainFactory grains, RuleOptions options, EngineWideRules engineWide, RuleSetProvider ruleSets, TimeProvider time, ILogger<RuleHealth> logger)
{
    private sealed class Counter
    {
        public long Evaluations;
        public long Failures;
        public int Consecutive;
        public string? LastError;
        public DateTimeOffset? LastErrorAt;
        public string? LastEventId;
    }

    private readonly ConcurrentDictionary<(string Tenant, string Rule), Counter> _counters = new();

    public RuleHealthReport? Report(string tenant, string ruleId)
    {
        if (!_counters.TryGetValue((tenant, ruleId), out var c)) return null;
        lock (c)
        {
            return new RuleHealthReport
            {
                Evaluations = c.Evaluations, Failures = c.Failures, ConsecutiveFailures = c.Consecutive,
                LastError = c.LastError, LastErrorAt = c.LastErrorAt, LastErrorEventId = c.LastEventId,
            };
        }
    }

    public void Succeeded(string tenant, ActiveRule rule)
    {
        var c = _counters.GetOrAdd((tenant, rule.Id), _ => new Counter());
        lock (c)
        {
            c.Evaluations++;
            c.Consecutive = 0;
        }
    }

    /// <summary>Records a failure; disables the rule when it has failed too often in a row (true when this failure did).</summary>
    public async Task<bool> FailedAsync(string tenant, ActiveRule rule, Guid eventId, Exception error)
    {
        var c = _counters.GetOrAdd((tenant, rule.Id), _ => new Counter());
        int consecutive;
        lock (c)
        {
            c.Evaluations++;
            c.Failures++;
            consecutive = ++c.Consecutive;
            // Counting starts again, so a rule enabled again after being switched off gets its full allowance.
            if (consecutive >= options.DisableAfterFailures) c.Consecutive = 0;
            c.LastError = error.Message;
            c.LastErrorAt = time.GetUtcNow();
            c.LastEventId = eventId.ToString("D");
        }

        LogRuleFailed(logger, rule.Id, rule.Version, tenant, eventId, error.Message);
        if (consecutive < options.DisableAfterFailures) return false;

        var reason = $"Disabled after {consecutive} failures in a row; the last: {error.Message}";
        LogRuleDisabled(logger, rule.Id, rule.Version, tenant, reason);
        if (rule.Definition.Origin == RuleOrigin.Tenant)
        {
            try
            {
                await grains.GetGrain<IRuleBookGrain>(tenant).SetEnabledAsync(rule.Id, false, reason, new WriteOptions { Actor = Actor.System });
            }
            catch (CrmException)
            {
                // Deleted or replaced meanwhile: nothing left to disable.
            }
        }
        else if (engineWide.Trip(tenant, rule.Id, reason))
        {
            ruleSets.InvalidateAll();
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {RuleId} v{Version} of tenant {Tenant} failed on event {EventId}: {Error}")]
    private static partial void LogRuleFailed(ILogger logger, string ruleId, int version, string tenant, Guid eventId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rule {RuleId} v{Version} of tenant {Tenant} was disabled: {Reason}")]
    private static partial void LogRuleDisabled(ILogger logger, string ruleId, int version, string tenant, string reason);
}
