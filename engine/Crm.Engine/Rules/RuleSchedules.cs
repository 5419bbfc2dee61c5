using System.Text.Json.Nodes;
using Cronos;

namespace Crm.Engine.Rules;

/// <summary>
/// Cron schedules of rules (<c>on: "schedule"</c>): five-field cron expressions read in the tenant's time zone. Each
/// enabled schedule rule keeps one durable timer on the tenant's rules stream for its next occurrence; when it fires,
/// a <c>rule.scheduleFired</c> event is written and the next occurrence is scheduled in the same append.
/// </summary>
internal static class RuleSchedules
{
    public const string TimerPrefix = "schedule:";

    /// <summary>Null when <paramref name="cron"/> is a valid five-field expression, else why not.</summary>
    public static string? Check(string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron)) return "a schedule rule needs cron, e.g. \"0 9 * * 1-5\" (09:00 on weekdays)";
        try
        {
            CronExpression.Parse(cron, CronFormat.Standard);
            return null;
        }
        catch (CronFormatException ex)
        {
            return $"'{cron}' is not a cron expression: {ex.Message}";
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, in <paramref name="timeZone"/>; null if none.</summary>
    public static DateTimeOffset? Next(string cron, DateTimeOffset after, string timeZone)
    {
        var zone = Domain.TenantTimeZone.Find(timeZone);
        var next = CronExpression.Parse(cron, CronFormat.Standard).GetNextOccurrence(after.UtcDateTime, zone, inclusive: false);
        return next is { } utc ? new DateTimeOffset(utc, TimeSpan.Zero) : null;
    }

    public static string TimerName(string ruleId, DateTimeOffset due) =>
        TimerPrefix + ruleId + ":" + due.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static JsonObject TimerPayload(RuleDefinition rule) => new() { ["rule"] = rule.Id, ["version"] = rule.Version, ["cron"] = rule.Cron };
}
