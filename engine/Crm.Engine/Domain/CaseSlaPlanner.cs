namespace Crm.Engine.Domain;

/// <summary>A change to a case as its SLA sees it: the case after the change and what kind of change it was.</summary>
public sealed record CaseSlaChange
{
    /// <summary>The time of the change.</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>When the case was created (for a create: <see cref="Now"/>).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    public string? QueueId { get; init; }
    public string? Priority { get; init; }
    public required string Status { get; init; }

    /// <summary>The first response, if there has been one (counting this change).</summary>
    public DateTimeOffset? FirstResponseAt { get; init; }

    /// <summary>When the case was resolved, while it is resolved or closed (counting this change).</summary>
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>The change creates the case.</summary>
    public bool Created { get; init; }

    /// <summary>The change moves the case to another queue or priority.</summary>
    public bool Retargeted { get; init; }

    /// <summary>The change takes a resolved or closed case back to an open status.</summary>
    public bool Reopened { get; init; }
}

/// <summary>A timer an SLA clock needs pending: its name, due time and the clock it belongs to.</summary>
public sealed record SlaTimer(string Name, DateTimeOffset DueAt, string Target, bool IsBreach);

/// <summary>
/// Decides a case's SLA after a change. A target is chosen when the case is created and again when its queue or
/// priority changes; the clocks keep their start (the creation, or the last reopening for resolution), so a new target
/// moves the due times rather than granting new time, and a due time already past breaches at once. Met and breached
/// clocks are final. Reopening a resolved case restarts the resolution clock from the reopening, with the full time of
/// the target that applies then.
/// </summary>
public static class CaseSlaPlanner
{
    /// <summary>Names of the SLA timers: <c>sla.{firstResponse|resolution}.{warning|breach}</c>.</summary>
    public static string TimerName(string target, bool breach) => $"{RecordTimers.ReservedPrefix}{target}.{(breach ? "breach" : "warning")}";

    /// <summary>The case's SLA after <paramref name="change"/>, given the SLA before it.</summary>
    public static CaseSla? Next(CaseSla? current, CaseSlaChange change, TenantSettings settings)
    {
        var observed = current?.Observe(change.FirstResponseAt, change.ResolvedAt);
        var retarget = change.Created || change.Retargeted;
        if (!retarget && !change.Reopened) return observed;
        if (change.Created && IsResolved(change.Status)) return null; // an imported, finished case starts no clocks

        var target = settings.FindSlaTarget(change.QueueId, change.Priority);
        if (target is null) return retarget ? null : observed;

        var calendar = BusinessCalendar.For(settings);
        SlaClock? Clock(SlaClock? existing, int? minutes, DateTimeOffset start, bool restart, bool met)
        {
            if (minutes is not { } m) return null;
            if (!restart && existing is { IsOpen: false }) return existing;
            if (!restart && existing is null && met) return null;
            var total = TimeSpan.FromMinutes(m);
            var warnAt = WholeSecond(calendar.Add(start, total * (target.WarningPercent / 100.0)));
            var dueAt = WholeSecond(calendar.Add(start, total));
            var stillWarning = !restart && existing is { Status: SlaStatus.Warning } && warnAt <= change.Now;
            return stillWarning
                ? new SlaClock(start, warnAt, dueAt, SlaStatus.Warning) { WarnedAt = existing!.WarnedAt }
                : new SlaClock(start, warnAt, dueAt, SlaStatus.Running);
        }

        var firstResponse = retarget
            ? Clock(observed?.FirstResponse, target.FirstResponseMinutes, observed?.FirstResponse?.StartedAt ?? change.CreatedAt, restart: false, met: change.FirstResponseAt is not null)
            : observed?.FirstResponse;
        var resolution = change.Reopened
            ? Clock(null, target.ResolutionMinutes, change.Now, restart: true, met: false)
            : Clock(observed?.Resolution, target.ResolutionMinutes, observed?.Resolution?.StartedAt ?? change.CreatedAt, restart: false, met: change.ResolvedAt is not null);
        if (observed is null && firstResponse is null && resolution is null) return null; // nothing left to count
        var next = new CaseSla(target.QueueId, target.Priority, change.Now, firstResponse, resolution);

        // Nothing moved: keep the SLA as it was (and write no event).
        return observed is not null && observed with { AppliedAt = change.Now } == next ? observed : next;
    }

    /// <summary>The timers <paramref name="sla"/> needs pending: a warning while running, a breach while open.</summary>
    public static IReadOnlyList<SlaTimer> Timers(CaseSla? sla)
    {
        var timers = new List<SlaTimer>();
        if (sla is null) return timers;
        foreach (var target in CaseSla.Targets)
        {
            if (sla.Clock(target) is not { IsOpen: true } clock) continue;
            if (clock.Status == SlaStatus.Running) timers.Add(new SlaTimer(TimerName(target, breach: false), clock.WarnAt, target, IsBreach: false));
            timers.Add(new SlaTimer(TimerName(target, breach: true), clock.DueAt, target, IsBreach: true));
        }

        return timers;
    }

    /// <summary>The clock and kind an SLA timer name stands for, or null for another timer.</summary>
    public static (string Target, bool IsBreach)? ParseTimerName(string name)
    {
        foreach (var target in CaseSla.Targets)
        {
            if (name == TimerName(target, breach: true)) return (target, true);
            if (name == TimerName(target, breach: false)) return (target, false);
        }

        return null;
    }

    /// <summary>Resolved and closed cases count as resolved.</summary>
    public static bool IsResolved(string? status) => status is "resolved" or "closed";

    // Due times are kept to the second, rounded up, so they read cleanly and never fall before the exact time.
    private static DateTimeOffset WholeSecond(DateTimeOffset t)
    {
        var rest = t.UtcTicks % TimeSpan.TicksPerSecond;
        return rest == 0 ? t.ToUniversalTime() : new DateTimeOffset(t.UtcTicks - rest + TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }
}
