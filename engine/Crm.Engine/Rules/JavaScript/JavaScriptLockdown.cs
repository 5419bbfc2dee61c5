using Jint;
using Jint.Constraints;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// Freezes a pooled engine's realm once, before its first rule: the global object, every built-in constructor,
/// prototype and namespace object reachable from it (and the intrinsics reachable only through instances, such as
/// the iterator and generator prototypes), and whatever else the host hands over (the <c>act</c> object). In strict
/// mode a rule's <c>Object.prototype.x = 1</c>, <c>Array.prototype.map = …</c> or <c>globalThis.y = 2</c> then
/// throws, so nothing one evaluation does to the realm is seen by the next.
/// <para>
/// Before freezing it removes what would carry state from one evaluation to the next anyway: the legacy
/// <c>RegExp.$1</c>…<c>RegExp.input</c> statics (written by every match) and <c>WeakRef</c> /
/// <c>FinalizationRegistry</c> (whose callbacks run whenever the collector decides), and <c>ShadowRealm</c> (of no use
/// without <c>eval</c> or <c>import</c>).
/// </para>
/// <para>
/// The walk runs in C# rather than as a script, so it counts against none of the rule limits the engine is built with.
/// </para>
/// </summary>
internal static class JavaScriptLockdown
{
    // Removes the stateful globals and returns the intrinsics that no property path from globalThis reaches.
    private static readonly Prepared<Acornima.Ast.Script> HiddenIntrinsics = Jint.Engine.PrepareScript("""
        (function () {
          'use strict';
          for (const name of ['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', 'input', '$_', 'lastMatch', '$&',
                              'lastParen', '$+', 'leftContext', '$`', 'rightContext', "$'"]) {
            delete RegExp[name];
          }
          delete globalThis.WeakRef;
          delete globalThis.FinalizationRegistry;
          delete globalThis.ShadowRealm;

          const protoOf = Object.getPrototypeOf;
          const roots = [
            protoOf(function* () {}), protoOf(async function () {}), protoOf(async function* () {}),
            protoOf((function* () {})()), protoOf((async function* () {})()),
            protoOf([][Symbol.iterator]()), protoOf(new Map()[Symbol.iterator]()), protoOf(new Set()[Symbol.iterator]()),
            protoOf(''[Symbol.iterator]()), protoOf(/x/[Symbol.matchAll]('')),
            Reflect.getOwnPropertyDescriptor((function () { return arguments; })(), 'callee').get];
          if (typeof Iterator === 'function') {
            roots.push(protoOf([].values().map(x => x)), protoOf(Iterator.from({ next() { return { done: true }; } })));
          }
          if (typeof AsyncIterator === 'function') {
            const asyncIterator = AsyncIterator.from({ next() { return Promise.resolve({ done: true }); } });
            roots.push(protoOf(asyncIterator));
            if (typeof asyncIterator.map === 'function') roots.push(protoOf(asyncIterator.map(x => x)));
          }
          if (typeof Intl === 'object') {
            for (const name of Reflect.ownKeys(Intl)) {
              const type = Intl[name];
              if (typeof type === 'function' && typeof type.prototype?.segment === 'function') {
                const segments = new type().segment('');
                roots.push(protoOf(segments), protoOf(segments[Symbol.iterator]()));
              }
            }
          }
          return roots;
        })()
        """, source: "lockdown.js", strict: true);

    /// <summary>Freezes <paramref name="engine"/>'s realm, and <paramref name="hostObjects"/> with it.</summary>
    public static void Apply(Jint.Engine engine, params ReadOnlySpan<ObjectInstance> hostObjects)
    {
        var stack = new Stack<JsValue>();
        stack.Push(engine.Global);

        // The engine is built with a rule's limits; the script above must not count against a small statement limit.
        var statements = engine.Constraints.Find<MaxStatementsConstraint>();
        var maxStatements = statements?.MaxStatements ?? 0;
        if (statements is not null) statements.MaxStatements = 0;
        try
        {
            foreach (var root in (JsArray)engine.Evaluate(HiddenIntrinsics))
            {
                stack.Push(root);
            }
        }
        finally
        {
            if (statements is not null) statements.MaxStatements = maxStatements;
        }

        foreach (var host in hostObjects)
        {
            stack.Push(host);
        }

        var freeze = engine.Intrinsics.Object.Get("freeze");
        var seen = new HashSet<ObjectInstance>(ReferenceEqualityComparer.Instance);
        var argument = new JsValue[1];
        while (stack.Count > 0)
        {
            if (stack.Pop() is not ObjectInstance o || !seen.Add(o))
            {
                continue;
            }

            if (o.Prototype is { } prototype)
            {
                stack.Push(prototype);
            }

            foreach (var key in o.GetOwnPropertyKeys(Types.String | Types.Symbol))
            {
                var property = o.GetOwnProperty(key);
                if (property.IsAccessorDescriptor())
                {
                    stack.Push(property.Get ?? JsValue.Undefined);
                    stack.Push(property.Set ?? JsValue.Undefined);
                }
                else if (property.Value is { } value)
                {
                    stack.Push(value);
                }
            }

            argument[0] = o;
            engine.Call(freeze, argument);
        }
    }
}
