namespace Crm.Engine.Domain;

/// <summary>A tenant's time zone from its IANA id; UTC when the id is unknown on this machine (settings refuse unknown ids when saved).</summary>
internal static class TenantTimeZone
{
    public static TimeZoneInfo Find(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}
