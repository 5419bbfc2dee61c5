namespace Crm.Engine;

/// <summary>The built-in record types. Each is a grain type owning one event stream per record.</summary>
public static class RecordTypes
{
    public const string Contact = "contact";
    public const string Account = "account";
    public const string Deal = "deal";
    public const string Case = "case";
    public const string Interaction = "interaction";
    public const string Task = "task";
    public const string User = "user";
    public const string Team = "team";
    public const string Queue = "queue";

    /// <summary>A saved filter over contacts, accounts, deals or cases whose membership the engine keeps current.</summary>
    public const string Segment = "segment";

    /// <summary>A message sent to a segment's contacts on a channel, with its progress and outcome counts.</summary>
    public const string Campaign = "campaign";

    /// <summary>Every built-in record type, in a stable order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Contact, Account, Deal, Case, Interaction, Task, User, Team, Queue, Segment, Campaign];

    /// <summary>True when <paramref name="type"/> names a built-in record type.</summary>
    public static bool IsKnown(string? type) => type is not null && All.Contains(type);
}
