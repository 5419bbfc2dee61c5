using System.Globalization;

namespace Crm.Engine.Rules;

/// <summary>
/// The causation id of a change a rule makes: the id of the event that triggered the rule, then <c>#</c> and how deep
/// in a cascade of rule actions the change is (<c>0195…#1</c> for a rule reacting to a person's change). The depth is
/// what stops a cascade of rules triggering one another at <see cref="RuleOptions.MaxCascadeDepth"/>.
/// </summary>
public static class RuleCausation
{
    /// <summary>The causation id for a change at <paramref name="depth"/> caused by <paramref name="eventId"/>.</summary>
    public static string Format(Guid eventId, int depth) => eventId.ToString("D") + "#" + depth.ToString(CultureInfo.InvariantCulture);

    /// <summary>The cascade depth of an event with this causation id (0 when no rule caused it).</summary>
    public static int Depth(string? causationId)
    {
        if (causationId is null) return 0;
        var hash = causationId.IndexOf('#');
        // Only "<event id>#<depth>": a timer's id ("case/c1#42") also holds a '#'.
        return hash > 0 && Guid.TryParse(causationId.AsSpan(0, hash), out _)
            && int.TryParse(causationId.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var depth) ? depth : 0;
    }

    /// <summary>The triggering event's id in a rule's causation id, or null.</summary>
    public static Guid? TriggerEventId(string? causationId)
    {
        if (causationId is null) return null;
        var hash = causationId.IndexOf('#');
        return Guid.TryParse(hash > 0 ? causationId.AsSpan(0, hash) : causationId, out var id) ? id : null;
    }
}
