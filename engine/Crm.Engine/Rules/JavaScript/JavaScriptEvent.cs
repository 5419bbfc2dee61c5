using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// Builds the event a JavaScript rule sees as plain JavaScript objects, straight from the <see cref="RuleEvent"/>'s
/// JSON nodes (no JSON text in between): <c>{ trigger, tenant, record: { type, id }, eventId, time, actor, before,
/// after, changes, payload, depth }</c>. The record's fields and the payload are converted on first read, so a
/// condition that reads only <c>e.after</c> pays for nothing else.
/// </summary>
internal static class JavaScriptEvent
{
    /// <summary>Deepest nesting of objects and arrays in the input.</summary>
    public const int MaxDepth = 64;

    private static readonly JsObjectLayout EventLayout = JsObjectLayout.CreateBuilder()
        .Add("trigger")
        .Add("tenant")
        .Add("record")
        .Add("eventId")
        .Add("time")
        .Add("actor")
        .AddLazy("before", static (o, e) => ((RuleEvent)e!).Before is { } before ? Convert(o.Engine, before) : JsValue.Null)
        .AddLazy("after", static (o, e) => Convert(o.Engine, ((RuleEvent)e!).After))
        .AddLazy("changes", static (o, e) => Convert(o.Engine, ((RuleEvent)e!).Changes))
        .AddLazy("payload", static (o, e) => Convert(o.Engine, ((RuleEvent)e!).Payload))
        .Add("depth")
        .Build();

    private static readonly JsObjectLayout RecordLayout = new("type", "id");

    /// <summary>The event as a JavaScript object of <paramref name="engine"/>.</summary>
    public static JsObject Create(Jint.Engine engine, RuleEvent e)
    {
        var facts = Facts(e);
        var record = JsObject.Create(engine, RecordLayout, [facts.RecordType, facts.RecordId]);
        return JsObject.Create(
            engine,
            EventLayout,
            [facts.Trigger, facts.Tenant, record, facts.EventId, facts.Time, facts.Actor, null, null, null, null, JsNumber.Create(e.Depth)],
            e);
    }

    /// <summary>A time as JavaScript's <c>Date.prototype.toISOString</c> writes it (UTC, milliseconds).</summary>
    public static string IsoTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks the event's size as JSON text (an estimate for numbers) against <paramref name="maxLength"/> characters,
    /// and its nesting against <see cref="MaxDepth"/>, before anything is converted.
    /// </summary>
    /// <exception cref="RuleLimitExceededException">The input is too large or too deep (<c>input</c>).</exception>
    public static void CheckSize(RuleEvent e, int maxLength)
    {
        var facts = Facts(e);
        if (facts.CheckedLength >= maxLength)
        {
            return;
        }

        var budget = (long)maxLength - 200 - e.Trigger.Length - e.Tenant.Length - e.RecordType.Length - e.RecordId.Length - e.Actor.Length;
        if (e.Before is not null) budget = Measure(e.Before, budget, 0);
        budget = Measure(e.After, budget, 0);
        budget = Measure(e.Changes, budget, 0);
        budget = Measure(e.Payload, budget, 0);
        if (budget < 0)
        {
            throw new RuleLimitExceededException("input", $"The rule's input is more than the limit of {maxLength:N0} characters of JSON.");
        }

        facts.CheckedLength = maxLength;
    }

    // Every rule on one trigger is evaluated on the same event, mostly one after another on one thread: what does not
    // depend on the engine (the size check, the strings) is worked out once per event and thread.
    [ThreadStatic] private static EventFacts? t_last;

    private static EventFacts Facts(RuleEvent e)
    {
        var last = t_last;
        if (last is null || !ReferenceEquals(last.Event, e))
        {
            t_last = last = new EventFacts(e);
        }

        return last;
    }

    /// <summary>An event's engine-independent parts: JavaScript strings are values any engine can hold.</summary>
    private sealed class EventFacts(RuleEvent e)
    {
        public RuleEvent Event { get; } = e;

        /// <summary>The largest input limit the event was found to be within (0: not checked).</summary>
        public int CheckedLength { get; set; }

        public JsString Trigger { get; } = JsString.Create(e.Trigger);

        public JsString Tenant { get; } = JsString.Create(e.Tenant);

        public JsString RecordType { get; } = JsString.Create(e.RecordType);

        public JsString RecordId { get; } = JsString.Create(e.RecordId);

        public JsString EventId { get; } = JsString.Create(e.EventId.ToString());

        public JsString Time { get; } = JsString.Create(IsoTime(e.Time));

        public JsString Actor { get; } = JsString.Create(e.Actor);
    }

    private static long Measure(JsonNode? node, long budget, int depth)
    {
        if (budget < 0) return budget;
        switch (node)
        {
            case null:
                return budget - 4;
            case JsonObject o:
                if (depth >= MaxDepth) throw TooDeep();
                budget -= 2;
                for (var i = 0; i < o.Count; i++)
                {
                    var (name, value) = o.GetAt(i);
                    budget = Measure(value, budget - name.Length - 4, depth + 1);
                    if (budget < 0) return budget;
                }

                return budget;
            case JsonArray a:
                if (depth >= MaxDepth) throw TooDeep();
                budget -= 2;
                for (var i = 0; i < a.Count; i++)
                {
                    budget = Measure(a[i], budget - 1, depth + 1);
                    if (budget < 0) return budget;
                }

                return budget;
            default:
                var leaf = node.AsValue();
                return leaf.GetValueKind() == JsonValueKind.String && leaf.TryGetValue<string>(out var text)
                    ? budget - text.Length - 2
                    : budget - 8;
        }
    }

    private static RuleLimitExceededException TooDeep() =>
        new("input", $"The rule's input nests objects and arrays deeper than {MaxDepth} levels.");

    /// <summary>A JSON node as a plain JavaScript value (objects, arrays, strings, numbers, booleans, null).</summary>
    public static JsValue Convert(Jint.Engine engine, JsonNode? node)
    {
        switch (node)
        {
            case null:
                return JsValue.Null;
            case JsonObject o:
                return ConvertObject(engine, o);
            case JsonArray a:
                var items = new JsValue[a.Count];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = Convert(engine, a[i]);
                }

                return new JsArray(engine, items);
            default:
                return ConvertValue(node.AsValue());
        }
    }

    private static JsObject ConvertObject(Jint.Engine engine, JsonObject o)
    {
        var count = o.Count;
        if (count == 0)
        {
            return new JsObject(engine);
        }

        var entries = ArrayPool<KeyValuePair<string, JsValue>>.Shared.Rent(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var (name, value) = o.GetAt(i);
                entries[i] = new KeyValuePair<string, JsValue>(name, Convert(engine, value));
            }

            return JsObject.CreateFromEntries(engine, new ReadOnlySpan<KeyValuePair<string, JsValue>>(entries, 0, count));
        }
        finally
        {
            Array.Clear(entries, 0, count);
            ArrayPool<KeyValuePair<string, JsValue>>.Shared.Return(entries);
        }
    }

    private static JsValue ConvertValue(JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return JsString.Create(value.TryGetValue<string>(out var text) ? text : JsonSerializer.Deserialize<string>(value.ToJsonString())!);
            case JsonValueKind.Number:
                if (value.TryGetValue<double>(out var number)) return JsNumber.Create(number);
                if (value.TryGetValue<int>(out var integer)) return JsNumber.Create(integer);
                if (value.TryGetValue<long>(out var wide)) return JsNumber.Create(wide);
                if (value.TryGetValue<decimal>(out var exact)) return JsNumber.Create((double)exact);
                return JsNumber.Create(double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture));
            case JsonValueKind.True:
                return JsBoolean.True;
            case JsonValueKind.False:
                return JsBoolean.False;
            default:
                return JsValue.Null;
        }
    }
}
