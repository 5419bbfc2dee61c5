using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Grains;

/// <summary>
/// A support case: status transitions drive its first-response and resolution clocks, and its SLA (the target of its
/// queue and priority, in business time) sets durable timers that warn and breach in the same append as the change.
/// </summary>
internal sealed class CaseGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<CaseGrain> logger)
    : RecordGrain(RecordTypes.Case, store, settings, time, logger), ICaseGrain
{
    protected override void AddTransitionEvents(EventBatch batch, RecordChangePlan plan, bool created, TenantSettings settings)
    {
        var from = created ? null : State.GetString("status");
        var to = plan.Next["status"]?.GetValue<string>();
        var statusChanged = created || plan.Changes.ContainsKey("status");
        if (statusChanged)
        {
            batch.Add(EventTypes.CaseStatusChanged, new JsonObject
            {
                ["from"] = created ? null : State.Fields["status"]?.DeepClone(),
                ["to"] = plan.Next["status"]?.DeepClone(),
            });
        }

        // The same rules as the fold: leaving "new" is a first response; resolving stops the resolution clock.
        var now = batch.Now;
        ApplySla(batch, settings, new CaseSlaChange
        {
            Now = now,
            CreatedAt = created ? now : State.CreatedAt,
            QueueId = plan.Next["queueId"]?.GetValue<string>(),
            Priority = plan.Next["priority"]?.GetValue<string>(),
            Status = to ?? "",
            FirstResponseAt = State.FirstResponseAt ?? (statusChanged && from is not null && to != "new" ? now : null),
            ResolvedAt = !statusChanged ? State.ResolvedAt : CaseSlaPlanner.IsResolved(to) ? State.ResolvedAt ?? now : null,
            Created = created,
            Retargeted = !created && (plan.Changes.ContainsKey("queueId") || plan.Changes.ContainsKey("priority")),
            Reopened = !created && statusChanged && CaseSlaPlanner.IsResolved(from) && !CaseSlaPlanner.IsResolved(to),
        });
    }

    public Task<CrmRecord> RecordResponseAsync(WriteOptions options) =>
        ExecuteAsync(options, (batch, s) =>
        {
            EnsureLive();
            if (State.FirstResponseAt is not null) return;
            batch.Add(EventTypes.CaseResponded, new JsonObject());
            ApplySla(batch, s, new CaseSlaChange
            {
                Now = batch.Now,
                CreatedAt = State.CreatedAt,
                QueueId = State.GetString("queueId"),
                Priority = State.GetString("priority"),
                Status = State.GetString("status") ?? "",
                FirstResponseAt = batch.Now,
                ResolvedAt = State.ResolvedAt,
            });
        });

    /// <summary>An SLA timer came due: the clock warns or breaches in the append that fires it.</summary>
    protected override void AddTimerFiredEvents(EventBatch batch, RecordTimer timer, TenantSettings settings)
    {
        if (CaseSlaPlanner.ParseTimerName(timer.Name) is not var (target, isBreach) || State.Sla is not { } sla) return;
        var clock = sla.Clock(target);
        CaseSla next;
        if (isBreach && clock is { IsOpen: true } && clock.DueAt == timer.DueAt)
        {
            batch.Add(EventTypes.CaseSlaBreached, new JsonObject { ["target"] = target, ["dueAt"] = FieldValidator.FormatTime(clock.DueAt) });
            next = sla.Breached(target, batch.Now);
        }
        else if (!isBreach && clock is { Status: SlaStatus.Running } && clock.WarnAt == timer.DueAt)
        {
            batch.Add(EventTypes.CaseSlaWarning, new JsonObject
            {
                ["target"] = target,
                ["dueAt"] = FieldValidator.FormatTime(clock.DueAt),
                ["warnAt"] = FieldValidator.FormatTime(clock.WarnAt),
            });
            next = sla.Warned(target, batch.Now);
        }
        else
        {
            return; // a timer of a clock that has moved on since; its firing is all there is to record
        }

        SyncTimers(batch, next, firing: timer.Name);
    }

    private void ApplySla(EventBatch batch, TenantSettings settings, CaseSlaChange change)
    {
        var observed = State.Sla?.Observe(change.FirstResponseAt, change.ResolvedAt);
        var next = CaseSlaPlanner.Next(State.Sla, change, settings);
        if (next != observed)
        {
            if (next is null) batch.Add(EventTypes.CaseSlaRemoved, new JsonObject());
            else batch.Add(EventTypes.CaseSlaApplied, next.ToJson());
        }

        SyncTimers(batch, next, firing: null);
    }

    /// <summary>Schedules the SLA timers <paramref name="sla"/> needs and cancels the others, with their timer events.</summary>
    private void SyncTimers(EventBatch batch, CaseSla? sla, string? firing)
    {
        var wanted = CaseSlaPlanner.Timers(sla);
        foreach (var name in State.Timers.Keys.Where(n => RecordTimers.IsReserved(n) && n != firing && wanted.All(w => w.Name != n)).ToList())
        {
            batch.Add(EventTypes.TimerCancelled, new JsonObject { ["name"] = name });
            batch.CancelTimers.Add(name);
        }

        foreach (var timer in wanted)
        {
            if (timer.Name != firing && State.Timers.TryGetValue(timer.Name, out var pending) && pending.DueAt == timer.DueAt) continue;
            var payload = new JsonObject { ["target"] = timer.Target, ["dueAt"] = FieldValidator.FormatTime(sla!.Clock(timer.Target)!.DueAt) };
            batch.Add(EventTypes.TimerScheduled, new JsonObject { ["name"] = timer.Name, ["dueAt"] = timer.DueAt, ["payload"] = payload.DeepClone() });
            batch.ScheduleTimers.Add(new TimerSchedule(timer.Name, timer.DueAt, payload.ToJsonString()));
        }
    }
}
