using System.Globalization;

namespace Crm.Engine.Filtering;

/// <summary>How filter values name points in time: ISO 8601 dates and date-times, read strictly.</summary>
internal static class FilterTimes
{
    // Without an offset a time is UTC, as FieldValidator reads date-time fields.
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mmK",
    ];

    /// <summary>Reads <c>2024-05-01T10:00:00Z</c>, <c>2024-05-01T12:00+02:00</c>, <c>2024-05-01T10:00:00.1234567Z</c>.</summary>
    public static bool TryParseDateTime(string text, out DateTimeOffset time)
    {
        // Accept a lower-case 't' or 'z' too, as ISO 8601 does.
        var normalised = text.Replace('t', 'T').Replace('z', 'Z');
        if (DateTimeOffset.TryParseExact(
                normalised,
                DateTimeFormats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out time))
        {
            return true;
        }

        time = default;
        return false;
    }

    /// <summary>A date (midnight UTC at its start) or a date and time.</summary>
    public static bool TryParse(string text, out DateTimeOffset time)
    {
        if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            time = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        return TryParseDateTime(text, out time);
    }
}
