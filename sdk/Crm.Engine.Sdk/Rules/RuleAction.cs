using System.Text.Json.Nodes;

namespace Crm.Engine.Rules;

/// <summary>One thing a rule asks for: a kind from the action vocabulary and its arguments (JSON).</summary>
[GenerateSerializer, Immutable, Alias("crm.RuleAction")]
public sealed record RuleAction([property: Id(0)] string Kind, [property: Id(1)] string ArgsJson)
{
    /// <summary>Builds an action from a JSON object of arguments.</summary>
    public static RuleAction Of(string kind, JsonObject args) => new(kind, args.ToJsonString());

    /// <summary>The arguments as a JSON object.</summary>
    public JsonObject Args() => JsonNode.Parse(ArgsJson) as JsonObject ?? [];
}

/// <summary>The action vocabulary shared by JavaScript and C# rules.</summary>
public static class RuleActionKinds
{
    /// <summary><c>{ message, field? }</c> — validate only: the command is refused with the message.</summary>
    public const string Reject = "reject";

    /// <summary><c>{ fields }</c> — set fields of the triggering record (merge-patch).</summary>
    public const string Set = "set";

    /// <summary><c>{ tag }</c></summary>
    public const string AddTag = "addTag";

    /// <summary><c>{ tag }</c></summary>
    public const string RemoveTag = "removeTag";

    /// <summary><c>{ points, reason }</c> — contacts: adds to the lead score with a reason.</summary>
    public const string Score = "score";

    /// <summary><c>{ reason }</c> — enrich, on a deal entering a stage: the stage waits for a manager's approval.</summary>
    public const string RequireApproval = "requireApproval";

    /// <summary><c>{ userId }</c>, <c>{ queue }</c> or <c>{ team }</c> — owner or assignee; round-robin among queue or team members.</summary>
    public const string Assign = "assign";

    /// <summary><c>{ fields }</c> — react: a task linked to the triggering record.</summary>
    public const string CreateTask = "createTask";

    /// <summary><c>{ type, fields, link? }</c> — react: another record, linked to the triggering one when it can be.</summary>
    public const string CreateRecord = "createRecord";

    /// <summary><c>{ type, id, fields }</c> — react: changes another record.</summary>
    public const string UpdateRecord = "updateRecord";

    /// <summary><c>{ channel, purpose, to?, subject?, body, template? }</c> — react: a consent-checked message to the contact.</summary>
    public const string Send = "send";

    /// <summary><c>{ url, body? }</c> — react: an HTTP POST with a stable <c>webhook-id</c>.</summary>
    public const string Webhook = "webhook";

    /// <summary><c>{ name, dueAt, payload? }</c> — a durable timer on the triggering record.</summary>
    public const string SetTimer = "setTimer";

    /// <summary><c>{ name }</c></summary>
    public const string CancelTimer = "cancelTimer";
}
