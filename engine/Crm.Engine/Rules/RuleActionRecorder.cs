using System.Text.Json.Nodes;

namespace Crm.Engine.Rules;

/// <summary>Records the actions of a C# rule's <c>Then</c>.</summary>
internal sealed class RuleActionRecorder : IRuleActions
{
    private readonly List<RuleAction> _actions = [];

    public IReadOnlyList<RuleAction> Actions => _actions;

    private void Add(string kind, JsonObject args) => _actions.Add(RuleAction.Of(kind, args));

    public void Reject(string message, string? field = null) => Add(RuleActionKinds.Reject, new() { ["message"] = message, ["field"] = field });
    public void Set(JsonObject fields) => Add(RuleActionKinds.Set, new() { ["fields"] = fields.DeepClone() });
    public void AddTag(string tag) => Add(RuleActionKinds.AddTag, new() { ["tag"] = tag });
    public void RemoveTag(string tag) => Add(RuleActionKinds.RemoveTag, new() { ["tag"] = tag });
    public void Score(int points, string reason) => Add(RuleActionKinds.Score, new() { ["points"] = points, ["reason"] = reason });
    public void RequireApproval(string reason) => Add(RuleActionKinds.RequireApproval, new() { ["reason"] = reason });
    public void AssignToUser(string userId) => Add(RuleActionKinds.Assign, new() { ["userId"] = userId });
    public void AssignRoundRobin(string kind, string id) => Add(RuleActionKinds.Assign, new() { [kind] = id });
    public void CreateTask(JsonObject fields) => Add(RuleActionKinds.CreateTask, new() { ["fields"] = fields.DeepClone() });
    public void CreateRecord(string type, JsonObject fields) => Add(RuleActionKinds.CreateRecord, new() { ["type"] = type, ["fields"] = fields.DeepClone() });
    public void UpdateRecord(string type, string id, JsonObject fields) => Add(RuleActionKinds.UpdateRecord, new() { ["type"] = type, ["id"] = id, ["fields"] = fields.DeepClone() });
    public void Send(JsonObject message) => Add(RuleActionKinds.Send, (JsonObject)message.DeepClone());
    public void Webhook(string url, JsonObject? body = null) => Add(RuleActionKinds.Webhook, new() { ["url"] = url, ["body"] = body?.DeepClone() });
    public void SetTimer(string name, DateTimeOffset dueAt, JsonObject? payload = null) => Add(RuleActionKinds.SetTimer, new() { ["name"] = name, ["dueAt"] = dueAt.UtcDateTime.ToString("O"), ["payload"] = payload?.DeepClone() });
    public void CancelTimer(string name) => Add(RuleActionKinds.CancelTimer, new() { ["name"] = name });
}
