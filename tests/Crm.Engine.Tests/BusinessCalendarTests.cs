using Crm.Engine.Domain;

namespace Crm.Engine.Tests;

/// <summary>Business time in a tenant's calendar: opening hours per weekday in its time zone, holidays, daylight saving.</summary>
public sealed class BusinessCalendarTests
{
    // Monday to Friday, 09:00 to 17:00 (the default), in Berlin unless a test says otherwise.
    private static BusinessCalendar Calendar(string zone = "Europe/Berlin", IEnumerable<DateOnly>? holidays = null, IEnumerable<BusinessDay>? hours = null) =>
        new(TimeZoneInfo.FindSystemTimeZoneById(zone), hours ?? TenantSettings.DefaultBusinessHours, holidays ?? []);

    /// <summary>A local time in <paramref name="zone"/> as an instant.</summary>
    private static DateTimeOffset Local(string zone, int year, int month, int day, int hour, int minute = 0)
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var local = new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, tz.GetUtcOffset(local));
    }

    private static DateTimeOffset Berlin(int month, int day, int hour, int minute = 0) => Local("Europe/Berlin", 2026, month, day, hour, minute);

    [Fact]
    public void Minutes_inside_one_day_add_up_within_it()
    {
        // Tuesday 2026-01-06, 10:00 + 90 minutes
        Assert.Equal(Berlin(1, 6, 11, 30), Calendar().AddMinutes(Berlin(1, 6, 10), 90));
    }

    [Fact]
    public void Time_left_at_closing_carries_over_to_the_next_morning()
    {
        // Tuesday 16:30 + 60 → Wednesday 09:30
        Assert.Equal(Berlin(1, 7, 9, 30), Calendar().AddMinutes(Berlin(1, 6, 16, 30), 60));
        // exactly used up at closing time: due at closing, not next morning
        Assert.Equal(Berlin(1, 6, 17), Calendar().AddMinutes(Berlin(1, 6, 16, 30), 30));
    }

    [Fact]
    public void A_weekend_is_skipped()
    {
        // Friday 2026-01-09 16:30 + 60 → Monday 2026-01-12 09:30
        Assert.Equal(Berlin(1, 12, 9, 30), Calendar().AddMinutes(Berlin(1, 9, 16, 30), 60));
    }

    [Fact]
    public void A_holiday_is_skipped_like_a_weekend()
    {
        var calendar = Calendar(holidays: [new DateOnly(2026, 1, 12)]);
        // Friday 16:30 + 60 → Tuesday 09:30 (Monday is a holiday)
        Assert.Equal(Berlin(1, 13, 9, 30), calendar.AddMinutes(Berlin(1, 9, 16, 30), 60));
        Assert.Equal(TimeSpan.FromMinutes(30), calendar.Between(Berlin(1, 9, 16, 30), Berlin(1, 13, 9)));
    }

    [Theory]
    [InlineData(1, 5, 7, 0, 1, 5, 9, 30)]   // Monday before opening → same morning
    [InlineData(1, 5, 18, 0, 1, 6, 9, 30)]  // Monday after closing → Tuesday
    [InlineData(1, 10, 12, 0, 1, 12, 9, 30)] // Saturday → Monday
    public void A_start_outside_business_hours_counts_from_the_next_opening(int m, int d, int h, int min, int em, int ed, int eh, int emin)
    {
        Assert.Equal(Berlin(em, ed, eh, emin), Calendar().AddMinutes(Berlin(m, d, h, min), 30));
    }

    [Fact]
    public void Opening_hours_follow_the_local_clock_across_a_daylight_saving_change()
    {
        // New York springs forward on Sunday 2026-03-08: Friday 16:00 EST + 120 → Monday 10:00 EDT (14:00 UTC, not 15:00).
        var due = Calendar("America/New_York").AddMinutes(Local("America/New_York", 2026, 3, 6, 16), 120);
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 14, 0, 0, TimeSpan.Zero), due);
        Assert.Equal(TimeSpan.FromMinutes(120), Calendar("America/New_York").Between(Local("America/New_York", 2026, 3, 6, 16), due));

        // Berlin falls back on Sunday 2026-10-25: Friday 16:00 CEST (14:00 UTC) + 120 → Monday 10:00 CET (09:00 UTC).
        Assert.Equal(new DateTimeOffset(2026, 10, 26, 9, 0, 0, TimeSpan.Zero), Calendar().AddMinutes(Berlin(10, 23, 16), 120));
    }

    [Fact]
    public void A_window_spanning_a_daylight_saving_change_has_the_time_that_really_passes()
    {
        // A night shift 00:00–05:00 every day: on 2026-03-29 Berlin skips 02:00–03:00, so that night has 4 hours.
        var night = Enum.GetValues<DayOfWeek>().Select(d => new BusinessDay(d, new TimeOnly(0, 0), new TimeOnly(5, 0)));
        var calendar = Calendar(hours: night);
        Assert.Equal(TimeSpan.FromHours(4), calendar.Between(Berlin(3, 29, 0), Berlin(3, 29, 5)));
        Assert.Equal(TimeSpan.FromHours(5), calendar.Between(Berlin(3, 28, 0), Berlin(3, 28, 5)));
        // 4.5 hours from Sunday 00:00 end on Monday at 00:30
        Assert.Equal(Berlin(3, 30, 0, 30), calendar.AddMinutes(Berlin(3, 29, 0), 270));
        // and on 2026-10-25 the night has 6 hours (02:00–03:00 happens twice)
        Assert.Equal(TimeSpan.FromHours(6), calendar.Between(Local("Europe/Berlin", 2026, 10, 25, 0), Local("Europe/Berlin", 2026, 10, 25, 5)));
    }

    [Fact]
    public void Business_minutes_between_two_instants_count_only_open_time()
    {
        var calendar = Calendar();
        // Friday 16:00 → Monday 10:00: one hour on Friday, one on Monday
        Assert.Equal(120, calendar.MinutesBetween(Berlin(1, 9, 16), Berlin(1, 12, 10)));
        // both outside hours, a whole working day between
        Assert.Equal(480, calendar.MinutesBetween(Berlin(1, 5, 20), Berlin(1, 6, 20)));
        // backwards is negative
        Assert.Equal(-120, calendar.MinutesBetween(Berlin(1, 12, 10), Berlin(1, 9, 16)));
        Assert.Equal(0, calendar.MinutesBetween(Berlin(1, 10, 8), Berlin(1, 11, 23)));
    }

    [Fact]
    public void Adding_and_measuring_agree()
    {
        var calendar = Calendar(holidays: [new DateOnly(2026, 1, 14)]);
        var start = Berlin(1, 9, 15, 17);
        foreach (var minutes in new[] { 1, 43, 480, 1000, 4321 })
        {
            Assert.Equal(minutes, calendar.MinutesBetween(start, calendar.AddMinutes(start, minutes)), 6);
        }
    }

    [Fact]
    public void Without_business_hours_the_calendar_runs_round_the_clock_except_holidays()
    {
        var calendar = Calendar("UTC", holidays: [new DateOnly(2026, 1, 10)], hours: []);
        var start = new DateTimeOffset(2026, 1, 9, 23, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 1, 11, 1, 0, 0, TimeSpan.Zero), calendar.AddMinutes(start, 120));
    }

    [Fact]
    public void The_calendar_of_tenant_settings_uses_their_zone_hours_and_holidays()
    {
        var settings = new TenantSettings
        {
            TimeZone = "America/New_York",
            BusinessHours = [new BusinessDay(DayOfWeek.Monday, new TimeOnly(8, 0), new TimeOnly(12, 0))],
            Holidays = [new DateOnly(2026, 1, 12)],
        };
        // Monday 2026-01-05 11:00 EST + 120 → one hour that Monday, the next on Monday 2026-01-19 (the 12th is a holiday)
        Assert.Equal(Local("America/New_York", 2026, 1, 19, 9), BusinessCalendar.For(settings).AddMinutes(Local("America/New_York", 2026, 1, 5, 11), 120));
    }
}
