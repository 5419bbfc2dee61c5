namespace Crm.Engine.Domain;

/// <summary>
/// A tenant's working time: opening hours per weekday in its IANA time zone, minus holidays. Business time is time
/// that really elapses while open, so a window that spans a daylight-saving change is an hour shorter or longer, and a
/// local opening time maps to the right instant on either side of a change.
/// </summary>
public sealed class BusinessCalendar
{
    /// <summary>How far ahead a due time is looked for; a calendar with too little open time clamps to this.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(366 * 100);

    private readonly TimeZoneInfo _zone;
    private readonly Dictionary<DayOfWeek, (TimeOnly Opens, TimeOnly Closes)> _hours;
    private readonly HashSet<DateOnly> _holidays;
    private readonly bool _roundTheClock;

    /// <param name="zone">The time zone opening hours and holidays are in.</param>
    /// <param name="hours">Opening hours per weekday; none at all means open round the clock (holidays still closed).</param>
    /// <param name="holidays">Local dates with no opening hours.</param>
    public BusinessCalendar(TimeZoneInfo zone, IEnumerable<BusinessDay> hours, IEnumerable<DateOnly> holidays)
    {
        ArgumentNullException.ThrowIfNull(zone);
        _zone = zone;
        _hours = hours.Where(d => d.Opens < d.Closes).GroupBy(d => d.Day).ToDictionary(g => g.Key, g => (g.First().Opens, g.First().Closes));
        _roundTheClock = !hours.Any();
        _holidays = [.. holidays];
    }

    /// <summary>The calendar of a tenant's settings (time zone, business hours, holidays).</summary>
    public static BusinessCalendar For(TenantSettings settings) =>
        new(TenantTimeZone.Find(settings.TimeZone), settings.BusinessHours, settings.Holidays);

    /// <summary>
    /// The instant at which <paramref name="duration"/> of business time has passed since <paramref name="start"/>. A start
    /// outside business hours counts from the next opening; a duration that ends exactly at closing time ends there.
    /// </summary>
    public DateTimeOffset Add(DateTimeOffset start, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        if (duration == TimeSpan.Zero) return start;
        var remaining = duration;
        var horizon = start + Horizon;
        foreach (var (opens, closes) in WindowsFrom(start, horizon))
        {
            var from = opens < start ? start : opens;
            if (from >= closes) continue;
            var open = closes - from;
            if (remaining <= open) return from + remaining;
            remaining -= open;
        }

        return horizon;
    }

    /// <summary>The instant at which <paramref name="minutes"/> business minutes have passed since <paramref name="start"/>.</summary>
    public DateTimeOffset AddMinutes(DateTimeOffset start, double minutes) => Add(start, TimeSpan.FromMinutes(minutes));

    /// <summary>Business time between two instants; negative when <paramref name="to"/> is before <paramref name="from"/>.</summary>
    public TimeSpan Between(DateTimeOffset from, DateTimeOffset to)
    {
        if (to < from) return -Between(to, from);
        var total = TimeSpan.Zero;
        foreach (var (opens, closes) in WindowsFrom(from, to))
        {
            var a = opens < from ? from : opens;
            var b = closes > to ? to : closes;
            if (b > a) total += b - a;
        }

        return total;
    }

    /// <summary>Business minutes between two instants.</summary>
    public double MinutesBetween(DateTimeOffset from, DateTimeOffset to) => Between(from, to).TotalMinutes;

    /// <summary>Opening windows as instants, in order, from the local day of <paramref name="from"/> until one opens at or after <paramref name="until"/>.</summary>
    private IEnumerable<(DateTimeOffset Opens, DateTimeOffset Closes)> WindowsFrom(DateTimeOffset from, DateTimeOffset until)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, _zone).DateTime);
        while (true)
        {
            if (Window(day) is { } window)
            {
                if (window.Opens >= until) yield break;
                yield return window;
            }
            else if (ToInstant(day.ToDateTime(TimeOnly.MinValue)) >= until)
            {
                yield break;
            }

            day = day.AddDays(1);
        }
    }

    private (DateTimeOffset Opens, DateTimeOffset Closes)? Window(DateOnly day)
    {
        if (_holidays.Contains(day)) return null;
        if (_roundTheClock) return (ToInstant(day.ToDateTime(TimeOnly.MinValue)), ToInstant(day.AddDays(1).ToDateTime(TimeOnly.MinValue)));
        if (!_hours.TryGetValue(day.DayOfWeek, out var hours)) return null;
        return (ToInstant(day.ToDateTime(hours.Opens)), ToInstant(day.ToDateTime(hours.Closes)));
    }

    /// <summary>
    /// The instant a local time names. A time skipped by a daylight-saving change is read with the offset before the
    /// change (02:30 becomes 03:30 when clocks jump from 02:00 to 03:00); a time that happens twice is its first occurrence.
    /// </summary>
    private DateTimeOffset ToInstant(DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (_zone.IsInvalidTime(local)) offset = _zone.GetUtcOffset(local.AddDays(-1));
        else if (_zone.IsAmbiguousTime(local)) offset = _zone.GetAmbiguousTimeOffsets(local).Max();
        else offset = _zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
