using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Engine.Rules;

/// <summary>
/// The <see cref="IRuleActions"/> a rule's <c>then</c> records on: it checks each call's arguments and turns it into a
/// <see cref="RuleAction"/> with the argument shape documented on <see cref="RuleActionKinds"/>. C# rules call it
/// directly; a JavaScript rule's <c>act</c> converts its arguments and calls the same methods, so both record the same
/// actions for the same calls.
/// </summary>
internal sealed class RuleActionRecorder : IRuleActions
{
    /// <summary>Actions one evaluation may record.</summary>
    public const int MaxActions = 100;

    /// <summary>Longest tag.</summary>
    public const int MaxTagLength = 100;

    /// <summary>Largest number of points one <c>score</c> may add or subtract.</summary>
    public const int MaxScorePoints = 1_000_000;

    /// <summary>Longest message, reason, field name or URL.</summary>
    public const int MaxTextLength = 2_000;

    /// <summary>Longest arguments of one action, in characters of JSON.</summary>
    public const int MaxArgumentsLength = 65_536;

    /// <summary>Longest timer name (as the event store allows).</summary>
    public const int MaxTimerNameLength = Storage.AppendValidation.MaxKeyLength;

    private readonly List<RuleAction> _actions = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _writer;

    public RuleActionRecorder() => _writer = new Utf8JsonWriter(_buffer);

    /// <summary>The actions recorded so far, in order.</summary>
    public IReadOnlyList<RuleAction> Actions => _actions;

    /// <summary>Forgets the recorded actions, so the recorder can serve another evaluation.</summary>
    public void Clear() => _actions.Clear();

    /// <summary>A copy of the recorded actions (the recorder may be cleared and reused afterwards).</summary>
    public IReadOnlyList<RuleAction> TakeActions() => _actions.Count == 0 ? [] : _actions.ToArray();

    /// <inheritdoc />
    public void Reject(string message, string? field = null)
    {
        Text(RuleActionKinds.Reject, "message", message);
        if (field is not null) Text(RuleActionKinds.Reject, "field", field);
        var w = Begin();
        w.WriteString("message", message);
        if (field is not null) w.WriteString("field", field);
        End(RuleActionKinds.Reject);
    }

    /// <inheritdoc />
    public void Set(JsonObject fields)
    {
        Fields(RuleActionKinds.Set, "fields", fields);
        if (fields.Count == 0) throw Invalid(RuleActionKinds.Set, "fields must name at least one field.");
        var w = Begin();
        w.WritePropertyName("fields");
        fields.WriteTo(w);
        End(RuleActionKinds.Set);
    }

    /// <inheritdoc />
    public void AddTag(string tag) => Tag(RuleActionKinds.AddTag, tag);

    /// <inheritdoc />
    public void RemoveTag(string tag) => Tag(RuleActionKinds.RemoveTag, tag);

    /// <inheritdoc />
    public void Score(int points, string reason) => Score((double)points, reason);

    /// <summary>
    /// <see cref="Score(int, string)"/> for a number that may not be an integer (JavaScript's): it must be a whole
    /// number of at most <see cref="MaxScorePoints"/> either way.
    /// </summary>
    public void Score(double points, string reason)
    {
        if (!double.IsFinite(points) || Math.Abs(points) > MaxScorePoints || Math.Floor(points) != points)
        {
            throw Invalid(RuleActionKinds.Score, $"points must be a whole number from -{MaxScorePoints:N0} to {MaxScorePoints:N0}, not {points.ToString(CultureInfo.InvariantCulture)}.");
        }

        Text(RuleActionKinds.Score, "reason", reason);
        var w = Begin();
        w.WriteNumber("points", (int)points);
        w.WriteString("reason", reason);
        End(RuleActionKinds.Score);
    }

    /// <inheritdoc />
    public void RequireApproval(string reason)
    {
        Text(RuleActionKinds.RequireApproval, "reason", reason);
        var w = Begin();
        w.WriteString("reason", reason);
        End(RuleActionKinds.RequireApproval);
    }

    /// <inheritdoc />
    public void AssignToUser(string userId)
    {
        Id(RuleActionKinds.Assign, "user", userId);
        var w = Begin();
        w.WriteString("userId", userId);
        End(RuleActionKinds.Assign);
    }

    /// <inheritdoc />
    public void AssignRoundRobin(string kind, string id)
    {
        if (kind is not ("queue" or "team"))
        {
            throw Invalid(RuleActionKinds.Assign, $"round-robin assignment is among a 'queue' or a 'team', not '{kind}'.");
        }

        Id(RuleActionKinds.Assign, kind, id);
        var w = Begin();
        w.WriteString(kind, id);
        End(RuleActionKinds.Assign);
    }

    /// <inheritdoc />
    public void CreateTask(JsonObject fields)
    {
        Fields(RuleActionKinds.CreateTask, "fields", fields);
        var w = Begin();
        w.WritePropertyName("fields");
        fields.WriteTo(w);
        End(RuleActionKinds.CreateTask);
    }

    /// <inheritdoc />
    public void CreateRecord(string type, JsonObject fields)
    {
        Id(RuleActionKinds.CreateRecord, "type", type);
        Fields(RuleActionKinds.CreateRecord, "fields", fields);
        var w = Begin();
        w.WriteString("type", type);
        w.WritePropertyName("fields");
        fields.WriteTo(w);
        End(RuleActionKinds.CreateRecord);
    }

    /// <inheritdoc />
    public void UpdateRecord(string type, string id, JsonObject fields)
    {
        Id(RuleActionKinds.UpdateRecord, "type", type);
        Id(RuleActionKinds.UpdateRecord, "id", id);
        Fields(RuleActionKinds.UpdateRecord, "fields", fields);
        if (fields.Count == 0) throw Invalid(RuleActionKinds.UpdateRecord, "fields must name at least one field.");
        var w = Begin();
        w.WriteString("type", type);
        w.WriteString("id", id);
        w.WritePropertyName("fields");
        fields.WriteTo(w);
        End(RuleActionKinds.UpdateRecord);
    }

    /// <inheritdoc />
    public void Send(JsonObject message)
    {
        Fields(RuleActionKinds.Send, "message", message);
        foreach (var required in (ReadOnlySpan<string>)["channel", "purpose"])
        {
            if (message[required] is not JsonValue value || !value.TryGetValue<string>(out var text) || string.IsNullOrWhiteSpace(text))
            {
                throw Invalid(RuleActionKinds.Send, $"the message needs a '{required}' (a non-empty string).");
            }
        }

        if (message["body"] is null && message["template"] is null)
        {
            throw Invalid(RuleActionKinds.Send, "the message needs a 'body' or a 'template'.");
        }

        Count();
        Add(RuleAction.Of(RuleActionKinds.Send, message));
    }

    /// <inheritdoc />
    public void Webhook(string url, JsonObject? body = null)
    {
        Text(RuleActionKinds.Webhook, "url", url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw Invalid(RuleActionKinds.Webhook, $"url must be an absolute http or https URL, not '{url}'.");
        }

        var w = Begin();
        w.WriteString("url", url);
        if (body is not null)
        {
            w.WritePropertyName("body");
            body.WriteTo(w);
        }

        End(RuleActionKinds.Webhook);
    }

    /// <inheritdoc />
    public void SetTimer(string name, DateTimeOffset dueAt, JsonObject? payload = null)
    {
        TimerName(RuleActionKinds.SetTimer, name);
        var w = Begin();
        w.WriteString("name", name);
        w.WriteString("dueAt", dueAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        if (payload is not null)
        {
            w.WritePropertyName("payload");
            payload.WriteTo(w);
        }

        End(RuleActionKinds.SetTimer);
    }

    /// <inheritdoc />
    public void CancelTimer(string name)
    {
        TimerName(RuleActionKinds.CancelTimer, name);
        var w = Begin();
        w.WriteString("name", name);
        End(RuleActionKinds.CancelTimer);
    }

    private void Tag(string kind, string tag)
    {
        if (string.IsNullOrWhiteSpace(tag) || tag.Length > MaxTagLength)
        {
            throw Invalid(kind, $"the tag must be a non-empty string of at most {MaxTagLength} characters.");
        }

        var w = Begin();
        w.WriteString("tag", tag);
        End(kind);
    }

    private Utf8JsonWriter Begin()
    {
        Count();
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        return _writer;
    }

    private void End(string kind)
    {
        _writer.WriteEndObject();
        _writer.Flush();
        Add(new RuleAction(kind, Encoding.UTF8.GetString(_buffer.WrittenSpan)));
    }

    private void Add(RuleAction action)
    {
        if (action.ArgsJson.Length > MaxArgumentsLength)
        {
            throw Invalid(action.Kind, $"the arguments are {action.ArgsJson.Length:N0} characters of JSON, more than the {MaxArgumentsLength:N0} an action may have.");
        }

        _actions.Add(action);
    }

    private void Count()
    {
        if (_actions.Count >= MaxActions)
        {
            throw new RuleLimitExceededException("actions", $"The rule recorded more than {MaxActions} actions in one evaluation.");
        }
    }

    private static void Text(string kind, string argument, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxTextLength)
        {
            throw Invalid(kind, $"{argument} must be a non-empty string of at most {MaxTextLength:N0} characters.");
        }
    }

    private static void Id(string kind, string argument, string? value)
    {
        if (!Domain.RecordIds.IsValid(value))
        {
            throw Invalid(kind, $"{argument} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, not '{value}'.");
        }
    }

    private static void TimerName(string kind, string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxTimerNameLength)
        {
            throw Invalid(kind, $"the timer name must be a non-empty string of at most {MaxTimerNameLength} characters.");
        }
    }

    private static void Fields(string kind, string argument, JsonObject? value)
    {
        if (value is null)
        {
            throw Invalid(kind, $"{argument} must be an object.");
        }
    }

    private static RuleScriptException Invalid(string kind, string message) => new($"{kind}: {message}");
}
