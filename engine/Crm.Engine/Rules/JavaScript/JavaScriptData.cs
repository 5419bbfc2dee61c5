using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Object;
using Jint.Native.Symbol;
using Jint.Runtime;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// Turns what a JavaScript rule passes to <c>act</c> into JSON, as <c>JSON.stringify</c> would: dates become ISO
/// strings, <c>undefined</c>, functions and symbols are left out of objects (and are <c>null</c> in arrays), numbers
/// that are not finite are <c>null</c>. Cycles, <c>BigInt</c>s, nesting deeper than <see cref="MaxDepth"/> and more
/// than <see cref="MaxNodes"/> values are refused.
/// </summary>
internal static class JavaScriptData
{
    /// <summary>Deepest nesting of objects and arrays in one argument.</summary>
    public const int MaxDepth = 32;

    /// <summary>Most values (objects, arrays, strings, numbers…) in one argument.</summary>
    public const int MaxNodes = 10_000;

    /// <summary>A plain object as a <see cref="JsonObject"/>; null for anything else (undefined, null, an array, a function, a primitive).</summary>
    /// <exception cref="RuleScriptException">The object cannot be written as JSON.</exception>
    public static JsonObject? ToJsonObject(JsValue value, string what)
    {
        if (value is not ObjectInstance o || o is Function || o is JsArray)
        {
            return null;
        }

        var walk = new Walk(what);
        return (JsonObject?)walk.Convert(o, 0);
    }

    private sealed class Walk(string what)
    {
        private readonly List<ObjectInstance> _path = [];
        private int _nodes;

        public JsonNode? Convert(JsValue value, int depth)
        {
            if (++_nodes > MaxNodes)
            {
                throw Refused($"has more than {MaxNodes:N0} values");
            }

            switch (value)
            {
                case JsString:
                    return JsonValue.Create(value.AsString());
                case JsNumber:
                    var number = value.AsNumber();
                    return double.IsFinite(number) ? JsonValue.Create(number) : null;
                case JsBoolean:
                    return JsonValue.Create(value.AsBoolean());
                case JsBigInt:
                    throw Refused("holds a BigInt, which JSON cannot hold");
                case JsDate date:
                    return double.IsFinite(date.DateValue)
                        ? JsonValue.Create(JavaScriptEvent.IsoTime(DateTimeOffset.FromUnixTimeMilliseconds((long)date.DateValue)))
                        : null;
                case ObjectInstance o when o is not Function:
                    return Nested(o, depth);
                default:
                    return null;
            }
        }

        private JsonNode Nested(ObjectInstance o, int depth)
        {
            if (depth >= MaxDepth)
            {
                throw Refused($"nests objects and arrays deeper than {MaxDepth} levels");
            }

            foreach (var ancestor in _path)
            {
                if (ReferenceEquals(ancestor, o))
                {
                    throw Refused("refers to itself (a cycle), which JSON cannot hold");
                }
            }

            _path.Add(o);
            try
            {
                if (o is JsArray array)
                {
                    var items = new JsonArray();
                    var length = array.Length;
                    for (uint i = 0; i < length; i++)
                    {
                        items.Add(Convert(array.Get(i), depth + 1));
                    }

                    return items;
                }

                var fields = new JsonObject();
                foreach (var key in o.GetOwnPropertyKeys(Types.String))
                {
                    var property = o.GetOwnProperty(key);
                    if (property == Jint.Runtime.Descriptors.PropertyDescriptor.Undefined || !property.Enumerable)
                    {
                        continue;
                    }

                    var item = o.Get(key);
                    if (item.IsUndefined() || item is Function || item is JsSymbol)
                    {
                        continue;
                    }

                    fields[key.ToString()] = Convert(item, depth + 1);
                }

                return fields;
            }
            finally
            {
                _path.RemoveAt(_path.Count - 1);
            }
        }

        private RuleScriptException Refused(string why) => new($"{what} {why}.");
    }
}
