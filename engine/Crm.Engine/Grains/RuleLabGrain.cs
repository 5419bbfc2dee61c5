using Crm.Engine.Domain;
using Crm.Engine.Rules;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Orleans.Concurrency;

namespace Crm.Engine.Grains;

/// <summary>
/// Dry-runs and backtests: rules evaluated on stored events exactly as the pipeline would, with nothing written and
/// nothing counted against a rule's health. Stateless, so it runs on whichever silo takes the call.
/// </summary>
[StatelessWorker]
internal sealed class RuleLabGrain(IEventStore store, RuleCompiler compiler, EngineWideRules engineWide, RuleSetProvider ruleSets, TenantSettingsProvider settings, RuleHealth health)
    : Grain, IRuleLabGrain
{
    private string Tenant => this.GetPrimaryKeyString();

    public async Task<IReadOnlyList<RuleStatus>> ListAsync()
    {
        var own = await GrainFactory.GetGrain<IRuleBookGrain>(Tenant).ListAsync();
        var wide = engineWide.Definitions.Select(d => engineWide.TrippedReason(Tenant, d.Id) is { } reason ? d with { Enabled = false, DisabledReason = reason } : d);
        return [.. own.Concat(wide).Select(d => new RuleStatus { Rule = d, Health = health.Report(Tenant, d.Id) })];
    }

    public async Task<RuleDryRun> DryRunAsync(RuleDryRunRequest request)
    {
        var rule = await ResolveAsync(request.RuleId, request.Source);
        if (!RecordTypes.IsKnown(request.RecordType)) throw new ValidationException("recordType", $"must be one of: {string.Join(", ", RecordTypes.All)}");
        if (!RecordIds.IsValid(request.RecordId)) throw new ValidationException("recordId", "is not a valid record id");
        var events = await store.ReadStreamAsync(Tenant, StreamIds.ForRecord(request.RecordType, request.RecordId));
        if (events.Count == 0) throw new RecordNotFoundException(request.RecordType, request.RecordId);
        var index = request.EventId is { } wanted
            ? events.ToList().FindIndex(e => e.EventId == wanted)
            : events.ToList().FindLastIndex(e => RuleTriggers.For(request.RecordType, e.Type, EventUpcaster.Payload(e)).Count > 0);
        if (index < 0) throw new ValidationException("eventId", request.EventId is null ? "the record has no event a rule can hear" : "is not an event of this record");

        var e = events[index];
        var tenantSettings = await settings.GetAsync(Tenant, e.Time);
        var state = RecordState.Fold(request.RecordType, request.RecordId, events.Take(index));
        var before = state.Exists ? state.View(tenantSettings) : null;
        state.Apply(e);
        var after = state.View(tenantSettings);
        var triggers = RuleTriggers.For(request.RecordType, e.Type, EventUpcaster.Payload(e));
        var evaluations = triggers.Where(rule.Hears)
            .Select(t => Evaluate(rule, RuleTriggers.Input(e, t, request.RecordType, request.RecordId, before, after)))
            .ToList();
        return new RuleDryRun { Rule = rule.Definition, EventId = e.EventId, EventType = e.Type, Triggers = [.. triggers.Select(t => t.Name)], Evaluations = evaluations };
    }

    public async Task<RuleBacktest> BacktestAsync(RuleBacktestRequest request)
    {
        if (request.MaxEvents is < 1 or > 10_000_000) throw new ValidationException("maxEvents", "must be between 1 and 10000000");
        if (request.MaxSamples is < 0 or > 10_000) throw new ValidationException("maxSamples", "must be between 0 and 10000");
        var rules = new List<ActiveRule>();
        foreach (var id in request.RuleIds) rules.Add(await ResolveAsync(id, null));
        foreach (var (id, source) in request.Sources) rules.Add(await ResolveAsync(id, source));
        if (rules.Count == 0) rules.AddRange((await ruleSets.GetAsync(Tenant)).All);

        var tally = rules.ToDictionary(r => r, _ => new Tally());
        var samples = new List<RuleEvaluation>();
        var states = new RecordStates(store);
        var tenantSettings = await settings.GetAsync(Tenant);
        long replayed = 0, position = 0;
        var truncated = false;
        while (!truncated)
        {
            var page = await store.ReadAllAsync(position, 1_000);
            if (page.Count == 0) break;
            position = page[^1].Position;
            foreach (var e in page)
            {
                if (e.Tenant != Tenant || e.Time < request.From || e.Time > request.To) continue;
                if (replayed == request.MaxEvents)
                {
                    truncated = true;
                    break;
                }

                replayed++;
                if (!RecordStates.IsRecordStream(e.StreamId, out var type, out var id)) continue;
                var hits = RuleTriggers.For(type, e.Type, EventUpcaster.Payload(e)).SelectMany(t => rules.Where(r => r.Hears(t)).Select(r => (t, r))).ToList();
                if (hits.Count == 0) continue;
                var (before, after) = await states.AroundAsync(e, type, id, tenantSettings, CancellationToken.None);
                foreach (var (trigger, rule) in hits)
                {
                    var evaluation = Evaluate(rule, RuleTriggers.Input(e, trigger, type, id, before, after));
                    tally[rule].Add(evaluation);
                    if (evaluation.Matched && samples.Count < request.MaxSamples) samples.Add(evaluation);
                }
            }
        }

        return new RuleBacktest
        {
            Events = replayed,
            Truncated = truncated,
            Rules = [.. tally.Select(t => t.Value.Summary(t.Key))],
            Samples = samples,
        };
    }

    private sealed class Tally
    {
        private long _evaluations, _fired, _errors;
        private string? _firstError;
        private readonly HashSet<string> _records = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _actions = new(StringComparer.Ordinal);

        public void Add(RuleEvaluation evaluation)
        {
            _evaluations++;
            if (evaluation.Error is not null)
            {
                _errors++;
                _firstError ??= evaluation.Error;
            }

            if (!evaluation.Matched) return;
            _fired++;
            _records.Add(evaluation.RecordType + "/" + evaluation.RecordId);
            foreach (var action in evaluation.Actions) _actions[action.Kind] = _actions.GetValueOrDefault(action.Kind) + 1;
        }

        public RuleBacktestSummary Summary(ActiveRule rule) => new()
        {
            RuleId = rule.Id, RuleVersion = rule.Version, Evaluations = _evaluations, Fired = _fired, Records = _records.Count,
            Actions = _actions, Errors = _errors, FirstError = _firstError,
        };
    }

    private async Task<ActiveRule> ResolveAsync(string? ruleId, string? source)
    {
        if (source is not null)
        {
            var draft = compiler.Analyze(new RuleDraft { Id = ruleId ?? "draft", Source = source }, Tenant);
            return compiler.Activate(draft with { Version = 0 }, Tenant);
        }

        if (ruleId is null) throw new ValidationException("ruleId", "name a rule, or give a source");
        var saved = (await GrainFactory.GetGrain<IRuleBookGrain>(Tenant).ListAsync()).FirstOrDefault(r => r.Id == ruleId)
            ?? engineWide.Definitions.FirstOrDefault(r => r.Id == ruleId)
            ?? throw new RecordNotFoundException("rule", ruleId);
        return compiler.Activate(saved, Tenant);
    }

    private static RuleEvaluation Evaluate(ActiveRule rule, RuleEvent e)
    {
        var evaluation = new RuleEvaluation
        {
            RuleId = rule.Id, RuleVersion = rule.Version, Trigger = e.Trigger, EventId = e.EventId, RecordType = e.RecordType, RecordId = e.RecordId, Time = e.Time,
        };
        try
        {
            var outcome = rule.Evaluate(e);
            return evaluation with { Matched = outcome.Matched, Actions = outcome.Actions };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return evaluation with { Error = ex.Message };
        }
    }
}
