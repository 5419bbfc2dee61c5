using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Crm.Engine.Domain;

namespace Crm.Engine.Filtering;

/// <summary>What a value in a filter is; dates and times are stored as strings but checked apart.</summary>
internal enum FilterLiteralKind
{
    Text, Number, Bool, Null, Date, Time,
}

/// <summary>One value of a comparison: its kind, its JSON, where it starts in the text and, for text, the text itself.</summary>
internal readonly record struct FilterLiteral(FilterLiteralKind Kind, string Json, int Position, string? Text = null)
{
    /// <summary>True when the JSON is a string (text, a date or a time).</summary>
    public bool IsString => Kind is FilterLiteralKind.Text or FilterLiteralKind.Date or FilterLiteralKind.Time;

    public static FilterLiteral Quoted(string value, int position) => new(FilterLiteralKind.Text, JsonSerializer.Serialize(value), position, value);

    public static FilterLiteral Date(DateOnly date, int position) =>
        new(FilterLiteralKind.Date, JsonSerializer.Serialize(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), position);

    public static FilterLiteral Time(DateTimeOffset time, int position) =>
        new(FilterLiteralKind.Time, JsonSerializer.Serialize(FieldValidator.FormatTime(time)), position);
}

/// <summary>Reads unquoted values: numbers, <c>true</c>/<c>false</c>/<c>null</c>, dates, date-times and relative times.</summary>
internal static partial class FilterLiterals
{
    /// <summary>Reads a bare word in a value position, or explains why it is not a value.</summary>
    /// <summary>Whether a bare word is a relative time (<c>now</c>, <c>today-7d</c>), whose value depends on the clock.</summary>
    public static bool IsRelative(FilterToken word) => word.Kind == FilterTokenKind.Word && RelativeStart().IsMatch(word.Text);

    public static FilterLiteral Read(FilterToken word, DateTimeOffset now)
    {
        var text = word.Text;
        var position = word.Position;
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return new FilterLiteral(FilterLiteralKind.Bool, "true", position);
        }

        if (text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return new FilterLiteral(FilterLiteralKind.Bool, "false", position);
        }

        if (text.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return new FilterLiteral(FilterLiteralKind.Null, "null", position);
        }

        if (RelativeStart().IsMatch(text))
        {
            return Relative(text, position, now);
        }

        if (DateShape().IsMatch(text))
        {
            return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? FilterLiteral.Date(date, position)
                : throw new FilterSyntaxException($"Invalid date '{text}' (use yyyy-MM-dd, e.g. 2024-05-01)", position);
        }

        if (DateTimeStart().IsMatch(text))
        {
            return FilterTimes.TryParseDateTime(text, out var time)
                ? FilterLiteral.Time(time, position)
                : throw new FilterSyntaxException($"Invalid date and time '{text}' (use ISO 8601, e.g. 2024-05-01T10:00:00Z)", position);
        }

        if (NumberShape().IsMatch(text))
        {
            return Number(text, position);
        }

        if (char.IsAsciiDigit(text[0]) || text[0] is '-' or '+' or '.')
        {
            throw new FilterSyntaxException($"Invalid value '{text}' (numbers look like 42, -3 or 12.5; dates like 2024-05-01)", position);
        }

        throw new FilterSyntaxException($"Unquoted text '{text}' (put text in quotes: \"{text}\")", position);
    }

    private static FilterLiteral Number(string text, int position)
    {
        if (!text.Contains('.', StringComparison.Ordinal) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return new FilterLiteral(FilterLiteralKind.Number, integer.ToString(CultureInfo.InvariantCulture), position);
        }

        return decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            ? new FilterLiteral(FilterLiteralKind.Number, number.ToString(CultureInfo.InvariantCulture), position)
            : throw new FilterSyntaxException($"The number '{text}' is out of range", position);
    }

    /// <summary><c>now</c>, <c>now-30d</c>, <c>now+2h</c>, <c>today</c>, <c>today-7d</c>; m is minutes, w weeks.</summary>
    private static FilterLiteral Relative(string text, int position, DateTimeOffset now)
    {
        var match = RelativeShape().Match(text);
        if (!match.Success)
        {
            throw new FilterSyntaxException(
                $"Invalid relative time '{text}' (use now, now-30d, now+2h, now-15m, now-1w, today or today-7d)", position);
        }

        var isToday = match.Groups["base"].Value.Length == 5;
        var amount = 0;
        var unit = 'd';
        if (match.Groups["amount"].Success)
        {
            if (!int.TryParse(match.Groups["amount"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out amount) || amount > 1_000_000)
            {
                throw OutOfRange(text, position);
            }

            amount = match.Groups["sign"].Value == "-" ? -amount : amount;
            unit = char.ToLowerInvariant(match.Groups["unit"].Value[0]);
        }

        try
        {
            if (isToday)
            {
                if (unit is not ('d' or 'w'))
                {
                    throw new FilterSyntaxException($"'today' moves by days or weeks (today-7d, today+1w), not '{match.Groups["unit"].Value}'", position);
                }

                var today = DateOnly.FromDateTime(now.DateTime);
                return FilterLiteral.Date(today.AddDays(unit == 'w' ? amount * 7 : amount), position);
            }

            var time = unit switch
            {
                'm' => now.AddMinutes(amount),
                'h' => now.AddHours(amount),
                'd' => now.AddDays(amount),
                _ => now.AddDays(amount * 7),
            };
            return FilterLiteral.Time(time, position);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw OutOfRange(text, position);
        }
    }

    private static FilterSyntaxException OutOfRange(string text, int position) =>
        new($"The relative time '{text}' is out of range", position);

    [GeneratedRegex(@"^(now|today)([+-]|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RelativeStart();

    [GeneratedRegex(@"^(?<base>now|today)(?:(?<sign>[+-])(?<amount>[0-9]{1,9})(?<unit>[mhdw]))?\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RelativeShape();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DateShape();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimeStart();

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex NumberShape();
}
