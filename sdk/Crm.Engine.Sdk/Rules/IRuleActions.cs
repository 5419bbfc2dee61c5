using System.Text.Json.Nodes;

namespace Crm.Engine.Rules;

/// <summary>
/// The actions a rule's <c>then</c> can take. They are recorded, not run at once: validate and enrich actions join
/// the command's append; react actions are stored as an outbox decision and then executed.
/// JavaScript rules get the same methods on <c>act</c> (camelCase).
/// </summary>
public interface IRuleActions
{
    /// <summary>Refuses the command (validate stage).</summary>
    void Reject(string message, string? field = null);

    /// <summary>Sets fields of the triggering record (merge-patch; custom fields under <c>custom</c>).</summary>
    void Set(JsonObject fields);

    /// <summary>Adds a tag to the triggering record.</summary>
    void AddTag(string tag);

    /// <summary>Removes a tag from the triggering record.</summary>
    void RemoveTag(string tag);

    /// <summary>Adds (or, with a negative number, subtracts) lead-score points on a contact, with the reason shown in its breakdown.</summary>
    void Score(int points, string reason);

    /// <summary>Holds a deal's move into its new stage until a manager approves it.</summary>
    void RequireApproval(string reason);

    /// <summary>Assigns the record to a user.</summary>
    void AssignToUser(string userId);

    /// <summary>Assigns the record round-robin among the members of a queue (<paramref name="kind"/> <c>queue</c>) or team (<c>team</c>).</summary>
    void AssignRoundRobin(string kind, string id);

    /// <summary>Creates a task linked to the triggering record.</summary>
    void CreateTask(JsonObject fields);

    /// <summary>Creates another record, linked to the triggering one when the types allow.</summary>
    void CreateRecord(string type, JsonObject fields);

    /// <summary>Changes another record.</summary>
    void UpdateRecord(string type, string id, JsonObject fields);

    /// <summary>Sends a message to the contact on a channel, if their consent allows it.</summary>
    void Send(JsonObject message);

    /// <summary>POSTs JSON to a URL with a stable <c>webhook-id</c> header.</summary>
    void Webhook(string url, JsonObject? body = null);

    /// <summary>Sets (or moves) a durable timer on the triggering record.</summary>
    void SetTimer(string name, DateTimeOffset dueAt, JsonObject? payload = null);

    /// <summary>Cancels a pending timer of the triggering record.</summary>
    void CancelTimer(string name);
}
