using System.Globalization;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// The <c>act</c> object of one sandbox: the methods of <see cref="IRuleActions"/> in camelCase, each converting its
/// JavaScript arguments and calling the same <see cref="RuleActionRecorder"/> method a C# rule would call. It is made
/// once per engine and frozen; it records only while an evaluation has attached a recorder.
/// <para>
/// A call with bad arguments throws a JavaScript <c>TypeError</c> (so the script unwinds normally) and is remembered
/// as <see cref="Failure"/>: the evaluation fails with it even if the script catches the error.
/// </para>
/// </summary>
internal sealed class JavaScriptActions
{
    private readonly Jint.Engine _engine;
    private RuleActionRecorder? _recorder;
    private DateTimeOffset _now;

    public JavaScriptActions(Jint.Engine engine)
    {
        _engine = engine;
        var act = new JsObject(engine);
        Method(act, "reject", 2, static (r, a, _) => r.Reject(Text(a, 0)!, OptionalText(a, 1, RuleActionKinds.Reject, "field")));
        Method(act, "set", 1, static (r, a, _) => r.Set(Fields(a, 0, RuleActionKinds.Set, "fields")!));
        Method(act, "addTag", 1, static (r, a, _) => r.AddTag(Text(a, 0)!));
        Method(act, "removeTag", 1, static (r, a, _) => r.RemoveTag(Text(a, 0)!));
        Method(act, "score", 2, static (r, a, _) => r.Score(At(a, 0) is JsNumber n ? n.AsNumber() : double.NaN, Text(a, 1)!));
        Method(act, "requireApproval", 1, static (r, a, _) => r.RequireApproval(Text(a, 0)!));
        Method(act, "assign", 1, static (r, a, _) => Assign(r, At(a, 0)));
        Method(act, "createTask", 1, static (r, a, _) => r.CreateTask(Fields(a, 0, RuleActionKinds.CreateTask, "fields")!));
        Method(act, "createRecord", 2, static (r, a, _) => r.CreateRecord(Text(a, 0)!, Fields(a, 1, RuleActionKinds.CreateRecord, "fields")!));
        Method(act, "updateRecord", 3, static (r, a, _) => r.UpdateRecord(Text(a, 0)!, Text(a, 1)!, Fields(a, 2, RuleActionKinds.UpdateRecord, "fields")!));
        Method(act, "send", 1, static (r, a, _) => r.Send(Fields(a, 0, RuleActionKinds.Send, "message")!));
        Method(act, "webhook", 2, static (r, a, _) => r.Webhook(Text(a, 0)!, OptionalFields(a, 1, RuleActionKinds.Webhook, "body")));
        Method(act, "setTimer", 3, static (r, a, now) => r.SetTimer(Text(a, 0)!, DueAt(At(a, 1), now), OptionalFields(a, 2, RuleActionKinds.SetTimer, "payload")));
        Method(act, "cancelTimer", 1, static (r, a, _) => r.CancelTimer(Text(a, 0)!));
        Object = act;
    }

    /// <summary>The <c>act</c> object handed to <c>then</c>.</summary>
    public ObjectInstance Object { get; }

    /// <summary>The first bad call of the current evaluation, if any.</summary>
    public CrmException? Failure { get; private set; }

    /// <summary>Records onto <paramref name="recorder"/> until <see cref="Detach"/>; relative timers count from <paramref name="now"/>.</summary>
    public void Attach(RuleActionRecorder recorder, DateTimeOffset now)
    {
        _recorder = recorder;
        _now = now;
        Failure = null;
    }

    /// <summary>Stops recording: a call from code left over from the evaluation fails.</summary>
    public void Detach() => _recorder = null;

    private void Method(JsObject act, string name, int length, Action<RuleActionRecorder, JsValue[], DateTimeOffset> record)
    {
        var function = new ClrFunction(_engine, name, (_, arguments) =>
        {
            if (_recorder is not { } recorder)
            {
                throw new JavaScriptException(_engine.Intrinsics.TypeError, $"act.{name} can only be called while its rule is evaluated.");
            }

            try
            {
                record(recorder, arguments, _now);
            }
            catch (CrmException ex) when (ex is RuleScriptException or RuleLimitExceededException)
            {
                Failure ??= ex;
                throw new JavaScriptException(_engine.Intrinsics.TypeError, ex is RuleScriptException ? "act." + ex.Message : ex.Message);
            }

            return JsValue.Undefined;
        }, length, PropertyFlag.Configurable);
        act.FastSetDataProperty(name, function);
    }

    // ISO 8601 as people and Date.prototype.toISOString write it; without an offset, UTC.
    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd",
    ];

    private static JsValue At(JsValue[] arguments, int index) => index < arguments.Length ? arguments[index] : JsValue.Undefined;

    /// <summary>A string argument; null for anything else, which the recorder refuses with its own message.</summary>
    private static string? Text(JsValue[] arguments, int index) => At(arguments, index) is JsString s ? s.ToString() : null;

    private static string? OptionalText(JsValue[] arguments, int index, string kind, string argument) => At(arguments, index) switch
    {
        JsString s => s.ToString(),
        var v when v.IsNull() || v.IsUndefined() => null,
        _ => throw new RuleScriptException($"{kind}: {argument} must be a string."),
    };

    private static JsonObject? Fields(JsValue[] arguments, int index, string kind, string argument) =>
        JavaScriptData.ToJsonObject(At(arguments, index), $"{kind}: {argument}");

    private static JsonObject? OptionalFields(JsValue[] arguments, int index, string kind, string argument)
    {
        var value = At(arguments, index);
        return value.IsNull() || value.IsUndefined()
            ? null
            : Fields(arguments, index, kind, argument) ?? throw new RuleScriptException($"{kind}: {argument} must be an object.");
    }

    private static void Assign(RuleActionRecorder recorder, JsValue to)
    {
        if (to is ObjectInstance target)
        {
            var user = target.Get("user");
            var queue = target.Get("queue");
            var team = target.Get("team");
            var given = (user.IsUndefined() ? 0 : 1) + (queue.IsUndefined() ? 0 : 1) + (team.IsUndefined() ? 0 : 1);
            if (given == 1)
            {
                if (!user.IsUndefined()) recorder.AssignToUser((user as JsString)?.ToString()!);
                else if (!queue.IsUndefined()) recorder.AssignRoundRobin("queue", (queue as JsString)?.ToString()!);
                else recorder.AssignRoundRobin("team", (team as JsString)?.ToString()!);
                return;
            }
        }

        throw new RuleScriptException($"{RuleActionKinds.Assign}: pass exactly one of {{ user: id }}, {{ queue: id }} or {{ team: id }}.");
    }

    /// <summary>
    /// When a timer is due: an ISO 8601 time (UTC unless it names an offset), a <c>Date</c>, or
    /// <c>{ minutes | hours | days: n }</c> after the event's time.
    /// </summary>
    private static DateTimeOffset DueAt(JsValue at, DateTimeOffset now)
    {
        const string expected = "at must be an ISO 8601 time, a Date, or { minutes | hours | days: n } after the event";
        switch (at)
        {
            case JsString s when DateTimeOffset.TryParseExact(s.ToString(), IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time):
                return time;
            case JsDate date when double.IsFinite(date.DateValue):
                return DateTimeOffset.FromUnixTimeMilliseconds((long)date.DateValue);
            case ObjectInstance relative and not JsDate:
                TimeSpan? offset = null;
                foreach (var (unit, span) in (ReadOnlySpan<(string, TimeSpan)>)[("minutes", TimeSpan.FromMinutes(1)), ("hours", TimeSpan.FromHours(1)), ("days", TimeSpan.FromDays(1))])
                {
                    var n = relative.Get(unit);
                    if (n.IsUndefined()) continue;
                    if (offset is not null || n is not JsNumber number || !double.IsFinite(number.AsNumber()) || Math.Abs(number.AsNumber()) > 3_650 * 24 * 60)
                    {
                        throw new RuleScriptException($"{RuleActionKinds.SetTimer}: {expected}, with one finite number of at most ten years.");
                    }

                    offset = span * number.AsNumber();
                }

                if (offset is { } after) return now + after;
                break;
        }

        throw new RuleScriptException($"{RuleActionKinds.SetTimer}: {expected}.");
    }
}
