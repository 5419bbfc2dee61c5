using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Engine.Domain;
using Crm.Engine.Rules;
using Crm.Engine.Settings;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>The single writer of a tenant's rules stream; publishes each change to the silo's rule-set cache.</summary>
internal sealed partial class RuleBookGrain(IEventStore store, RuleSetProvider provider, RuleCompiler compiler, TenantSettingsProvider settings, TimeProvider time) : Grain, IRuleBookGrain
{
    private string _tenant = "";
    private List<CrmEvent> _events = [];
    private RuleBook _book = new();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _tenant = this.GetPrimaryKeyString();
        await ReloadAsync(cancellationToken);
    }

    private async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        _events = [.. await store.ReadStreamAsync(_tenant, StreamIds.Rules, 1, int.MaxValue, cancellationToken)];
        _book = RuleBook.Fold(_events);
        provider.Publish(_tenant, _book);
    }

    public Task<IReadOnlyList<RuleDefinition>> ListAsync() =>
        Task.FromResult<IReadOnlyList<RuleDefinition>>([.. _book.Rules.Where(r => !r.Deleted).Select(r => r.Current).OrderBy(r => r.Id, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<RuleDefinition>> VersionsAsync(string id) =>
        Task.FromResult<IReadOnlyList<RuleDefinition>>(_book.Find(id)?.Versions.ToArray() ?? []);

    public Task<RuleDefinition> SaveAsync(RuleDraft draft, bool mustBeNew, WriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (!IsValidId(draft.Id)) throw new ValidationException("id", "must be 1 to 100 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit");
        if (draft.Name is { Length: > 200 }) throw new ValidationException("name", "must be at most 200 characters");
        if (draft.Description is { Length: > 2_000 }) throw new ValidationException("description", "must be at most 2000 characters");
        var definition = compiler.Analyze(draft, _tenant);
        if (!IsValidId(definition.Id)) throw new ValidationException("id", "must be 1 to 100 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit");
        var entry = _book.Find(definition.Id);
        if (mustBeNew && entry is { Deleted: false }) throw new RecordExistsException("rule", definition.Id);
        if (!mustBeNew && entry is null or { Deleted: true }) throw new RecordNotFoundException("rule", definition.Id);
        var now = Now();
        var saved = definition with
        {
            Version = (entry?.Versions.Count ?? 0) + 1,
            Origin = RuleOrigin.Tenant,
            CreatedAt = now,
            CreatedBy = (options.Actor ?? Actor.System).ToString(),
            DisabledReason = definition.Enabled ? null : definition.DisabledReason,
        };
        return AppendAsync(EventTypes.RuleSaved, RuleBook.SavedPayload(saved), options, now, saved.Id);
    }

    public Task<RuleDefinition> SetEnabledAsync(string id, bool enabled, string? reason, WriteOptions options)
    {
        var entry = _book.Find(id);
        if (entry is null or { Deleted: true }) throw new RecordNotFoundException("rule", id);
        if (entry.Enabled == enabled && (enabled || entry.DisabledReason == reason)) return Task.FromResult(entry.Current);
        if (reason is { Length: > 2_000 }) reason = reason[..2_000];
        return AppendAsync(enabled ? EventTypes.RuleEnabled : EventTypes.RuleDisabled,
            new JsonObject { ["id"] = id, ["reason"] = enabled ? null : reason }, options, Now(), id);
    }

    public async Task DeleteAsync(string id, WriteOptions options)
    {
        var entry = _book.Find(id);
        if (entry is null or { Deleted: true }) throw new RecordNotFoundException("rule", id);
        await AppendAsync(EventTypes.RuleDeleted, new JsonObject { ["id"] = id }, options, Now(), id);
    }

    private DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return _events.Count > 0 && now < _events[^1].Time ? _events[^1].Time : now;
    }

    private async Task<RuleDefinition> AppendAsync(string type, JsonObject payload, WriteOptions options, DateTimeOffset now, string id)
    {
        await AppendAsync(options, now, batch => batch.Add(type, payload));
        return _book.Find(id)!.Current;
    }

    public async Task<bool> FireTimerAsync(DurableTimer timer, LeaseFence fence)
    {
        if (!_book.Timers.TryGetValue(timer.Name, out var pending) || pending.DueAt != timer.DueAt) return false;
        var payload = pending.PayloadJson is null ? [] : JsonNode.Parse(pending.PayloadJson)!.AsObject();
        await AppendAsync(new WriteOptions { Actor = Actor.System, CausationId = timer.TimerId }, Now(), batch =>
        {
            batch.Add(EventTypes.RuleScheduleFired, new JsonObject
            {
                ["rule"] = payload["rule"]?.DeepClone(),
                ["version"] = payload["version"]?.DeepClone(),
                ["cron"] = payload["cron"]?.DeepClone(),
                ["occurrence"] = timer.DueAt,
                ["timerId"] = timer.TimerId,
            });
            batch.Add(EventTypes.TimerFired, new JsonObject { ["name"] = timer.Name, ["timerId"] = timer.TimerId, ["dueAt"] = timer.DueAt, ["payload"] = payload.DeepClone() });
            batch.FiresTimer = new TimerFiring(timer.Name, timer.DueAt);
            batch.Fence = fence;
        }, scheduleAfter: timer.DueAt);
        return true;
    }

    /// <summary>
    /// Appends what <paramref name="build"/> adds, plus the timer changes that keep one pending timer per enabled
    /// schedule rule at its next occurrence (after <paramref name="scheduleAfter"/> or now, whichever is later).
    /// </summary>
    private async Task AppendAsync(WriteOptions options, DateTimeOffset now, Action<EventBatch> build, DateTimeOffset? scheduleAfter = null)
    {
        var version = _events.Count;
        var batch = new EventBatch(_tenant, StreamIds.Rules, version, now, options, Actor.System);
        build(batch);
        var prospective = RuleBook.Fold(_events.Concat(batch.AsCommitted()));
        var timeZone = (await settings.GetAsync(_tenant)).TimeZone;
        ReconcileSchedules(batch, prospective, scheduleAfter is { } after && after > now ? after : now, timeZone);
        try
        {
            await store.AppendAsync(new AppendRequest
            {
                Tenant = _tenant, StreamId = StreamIds.Rules, ExpectedVersion = version, Events = batch.Events,
                ScheduleTimers = batch.ScheduleTimers, CancelTimers = batch.CancelTimers, FiresTimer = batch.FiresTimer, Fence = batch.Fence,
            });
        }
        catch (ConcurrencyConflictException)
        {
            await ReloadAsync();
            throw;
        }

        _events.AddRange(batch.AsCommitted());
        _book = RuleBook.Fold(_events);
        provider.Publish(_tenant, _book);
    }

    private static void ReconcileSchedules(EventBatch batch, RuleBook book, DateTimeOffset after, string timeZone)
    {
        var wanted = book.Rules.Where(r => r.Enabled && !r.Deleted && r.Current.On == RuleTriggers.Schedule && r.Current.Cron is not null)
            .ToDictionary(r => r.Id, r => r.Current, StringComparer.Ordinal);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var timer in book.Timers.Values.Where(t => t.Name.StartsWith(RuleSchedules.TimerPrefix, StringComparison.Ordinal)))
        {
            var payload = timer.PayloadJson is null ? null : JsonNode.Parse(timer.PayloadJson);
            var ruleId = (string?)payload?["rule"];
            if (ruleId is not null && wanted.TryGetValue(ruleId, out var rule) && (int?)payload?["version"] == rule.Version && kept.Add(ruleId)) continue;
            batch.Add(EventTypes.TimerCancelled, new JsonObject { ["name"] = timer.Name });
            batch.CancelTimers.Add(timer.Name);
        }

        foreach (var rule in wanted.Values.Where(r => !kept.Contains(r.Id)))
        {
            if (RuleSchedules.Next(rule.Cron!, after, timeZone) is not { } due) continue;
            var name = RuleSchedules.TimerName(rule.Id, due);
            var payload = RuleSchedules.TimerPayload(rule);
            batch.Add(EventTypes.TimerScheduled, new JsonObject { ["name"] = name, ["dueAt"] = due, ["payload"] = payload });
            batch.ScheduleTimers.Add(new TimerSchedule(name, due, payload.ToJsonString()));
        }
    }

    internal static bool IsValidId(string? id) => id is not null && RuleId().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex RuleId();
}
