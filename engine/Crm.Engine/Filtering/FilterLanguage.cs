namespace Crm.Engine.Filtering;

/// <summary>
/// The product's filter language, e.g. <c>lifecycleStage eq "lead" and createdAt ge now-30d</c>: one syntax for the
/// REST API's <c>?filter=</c>, segments, rules and campaigns. See docs/filters.md.
/// </summary>
public static class FilterLanguage
{
    /// <summary>The longest filter text accepted, in characters.</summary>
    public const int MaxLength = 4_000;

    /// <summary>How deeply and / or / not may nest (and how deeply parentheses and <c>not</c> may).</summary>
    public const int MaxDepth = 32;

    /// <summary>The most comparisons one filter may hold.</summary>
    public const int MaxComparisons = 100;

    /// <summary>
    /// Parses <paramref name="text"/> into a <see cref="Filter"/>. Relative times (<c>now-30d</c>, <c>today</c>) are
    /// resolved against <paramref name="now"/>; <c>today</c> is the calendar date of <paramref name="now"/> in the offset
    /// it carries, so pass a time in the tenant's zone for the tenant's today.
    /// </summary>
    /// <exception cref="FilterSyntaxException">The text is not a valid filter; the exception names the position.</exception>
    public static Filter Parse(string text, DateTimeOffset now) => FilterParser.Parse(text ?? "", now);

    /// <summary>
    /// True when the text holds a relative time (<c>now-30d</c>, <c>today</c>), so that what it selects changes with
    /// the clock and must be evaluated again as time passes (a segment's membership, say).
    /// </summary>
    public static bool DependsOnTime(string text)
    {
        var lexer = new FilterLexer(text ?? "");
        for (var token = lexer.Next(); token.Kind != FilterTokenKind.End; token = lexer.Next())
        {
            if (FilterLiterals.IsRelative(token)) return true;
        }

        return false;
    }

    /// <summary>
    /// Reads a time as filters compare it with <c>createdAt</c> and <c>updatedAt</c>: a date <c>yyyy-MM-dd</c> is
    /// midnight UTC at its start; an ISO 8601 date and time without an offset is UTC. For stores translating filters.
    /// </summary>
    public static bool TryParseTime(string value, out DateTimeOffset time)
    {
        if (value is null)
        {
            time = default;
            return false;
        }

        return FilterTimes.TryParse(value, out time);
    }
}
