using System.Globalization;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// One locked-down Jint engine that evaluates rules, one evaluation at a time, for one tenant: strict mode, no CLR
/// access, no <c>eval</c> or <c>Function</c>, the <see cref="JavaScriptLimits"/> it was built with, the event's time
/// as "now", and a frozen realm (<see cref="JavaScriptLockdown"/>) so that it can be reused without one evaluation
/// seeing anything another left behind. Not thread-safe: <see cref="JavaScriptRuleRuntime"/> pools sandboxes and hands
/// each to one thread at a time.
/// </summary>
/// <remarks>
/// An evaluation is one run of the rule's prepared script, which calls the sandbox's entry point with a function
/// returning the module's export; the entry point calls <c>when</c> and <c>then</c>. Everything therefore happens in one
/// top-level entry into the engine: the limits cover the module's top level, <c>when</c> and <c>then</c> together, and
/// promise jobs a rule queues run before the entry ends, still within them.
/// </remarks>
internal sealed class JavaScriptSandbox
{
    /// <summary>The global the prepared scripts call; frozen, non-enumerable, and useless to a rule (it refuses re-entry).</summary>
    internal const string EntryPoint = "__crmRule";

    // Runs pending promise jobs after a script threw, inside a constrained entry, before the engine is reused.
    private static readonly Prepared<Script> Settle = Jint.Engine.PrepareScript("undefined", source: "settle.js", strict: true);

    private readonly Jint.Engine _engine;
    private readonly EventClock _clock = new();
    private readonly EvaluationTime _time;
    private readonly JavaScriptActions _act;
    private readonly RuleActionRecorder _recorder = new();
    private readonly JsValue[] _whenArguments = new JsValue[1];
    private readonly JsValue[] _thenArguments = new JsValue[2];
    private RuleEvent? _event;
    private Func<ObjectInstance, object?>? _moduleReader;
    private object? _moduleRead;
    private bool _matched;
    private bool _running;

    /// <param name="limits">What one evaluation may use.</param>
    /// <param name="tenant">The only tenant whose events it evaluates; null for a sandbox that only reads modules (compiling).</param>
    public JavaScriptSandbox(JavaScriptLimitValues limits, string? tenant)
    {
        Limits = limits;
        Tenant = tenant;
        _time = new EvaluationTime(limits.Timeout);
        _engine = new Jint.Engine(options =>
        {
            options.Strict = true;
            options.Constraint(_time);
            options.MaxStatements(limits.MaxStatements);
            options.LimitMemory(limits.MaxMemoryBytes);
            options.LimitRecursion(limits.MaxRecursion);
            options.RegexTimeoutInterval(limits.RegexTimeout);
            options.MaxArraySize(limits.MaxArraySize);
            options.MaxJsonParseDepth(64);
            options.DisableStringCompilation();
            options.Interop.Enabled = false;

            // Atomics.wait would block the thread past every limit (the time limit is checked between steps).
            options.AgentCanSuspend = false;
            options.TimeSystem = _clock;
            options.TimeZone = TimeZoneInfo.Utc;
            options.Culture = CultureInfo.InvariantCulture;
        });
        _act = new JavaScriptActions(_engine);
        var entry = new ClrFunction(_engine, EntryPoint, Enter, 1, PropertyFlag.Configurable);
        _engine.Global.DefineOwnProperty(EntryPoint, new PropertyDescriptor(entry, PropertyFlag.None));
        // Freezing the realm is the host's work, not a rule's: on a busy machine it can take longer than a tenant's
        // time limit, so the clock only runs for evaluations.
        JavaScriptLockdown.Apply(_engine, _act.Object);
        _time.Enabled = true;
    }

    /// <summary>The wall-clock limit of one entry into the engine, like Jint's own, but off until the realm is frozen.</summary>
    private sealed class EvaluationTime(TimeSpan timeout) : Constraint
    {
        private readonly long _ticks = timeout >= TimeSpan.FromDays(1) ? long.MaxValue / 2 : (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        private long _deadline = long.MaxValue;

        public bool Enabled { get; set; }

        public override void Check()
        {
            if (Enabled && System.Diagnostics.Stopwatch.GetTimestamp() > _deadline) throw new TimeoutException("The rule ran longer than its time limit.");
        }

        public override void Reset() => _deadline = System.Diagnostics.Stopwatch.GetTimestamp() + _ticks;
    }

    /// <summary>The limits this sandbox's engine enforces.</summary>
    public JavaScriptLimitValues Limits { get; }

    /// <summary>The tenant whose rules it evaluates.</summary>
    public string? Tenant { get; }

    /// <summary>Evaluations started on this sandbox.</summary>
    public int Evaluations { get; private set; }

    /// <summary>
    /// Runs <paramref name="rule"/> on <paramref name="e"/>: its module's top level, then <c>when</c>, then, if that
    /// holds, <c>then</c>. Exceptions are the engine's own (<see cref="JavaScriptFailures"/> translates them); after
    /// one the sandbox may only be reused if <see cref="Recover"/> says so.
    /// </summary>
    public RuleOutcome Evaluate(JavaScriptRule rule, RuleEvent e)
    {
        if (!string.Equals(e.Tenant, Tenant, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"A sandbox of tenant '{Tenant}' was handed an event of tenant '{e.Tenant}'.");
        }

        Evaluations++;
        _clock.Now = e.Time;
        _event = e;
        _matched = false;
        _recorder.Clear();
        _act.Attach(_recorder, e.Time);
        try
        {
            _engine.Evaluate(rule.Script);
        }
        catch (JavaScriptException) when (_act.Failure is { } actFailure)
        {
            // A bad act call the script did not catch: report the call, not the TypeError it became.
            throw actFailure;
        }
        finally
        {
            _act.Detach();
            _event = null;
        }

        if (_act.Failure is { } failure)
        {
            throw failure;
        }

        return _matched ? new RuleOutcome(true, _recorder.TakeActions()) : RuleOutcome.NotMatched;
    }

    /// <summary>
    /// Runs a rule module's top level once and hands its export to <paramref name="read"/>, inside the same
    /// constrained entry (so getters the export may have are limited too).
    /// </summary>
    public T ReadModule<T>(in Prepared<Script> script, Func<ObjectInstance, T> read)
    {
        _clock.Now = DateTimeOffset.UtcNow;
        _moduleReader = o => read(o);
        try
        {
            _engine.Evaluate(script);
            return (T)_moduleRead!;
        }
        finally
        {
            _moduleReader = null;
            _moduleRead = null;
        }
    }

    /// <summary>
    /// After an evaluation that threw a script error, runs the promise jobs it may have left queued (inside a
    /// constrained entry, with <c>act</c> detached) so they cannot run during the next evaluation. False when the
    /// engine should not be reused.
    /// </summary>
    public bool Recover()
    {
        try
        {
            _engine.Evaluate(Settle);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private JsValue Enter(JsValue thisObject, JsValue[] arguments)
    {
        if (_running || (_event is null && _moduleReader is null) || arguments.Length != 1 || !arguments[0].IsCallable())
        {
            throw new JavaScriptException(_engine.Intrinsics.TypeError, $"{EntryPoint} is the rule engine's own.");
        }

        _running = true;
        try
        {
            if (_engine.Call(arguments[0]) is not ObjectInstance module)
            {
                throw new JavaScriptException(_engine.Intrinsics.TypeError, "The rule's export default is not an object.");
            }

            if (_moduleReader is { } reader)
            {
                _moduleRead = reader(module);
                return JsValue.Undefined;
            }

            var when = module.Get("when");
            var then = module.Get("then");
            if (!then.IsCallable())
            {
                throw new JavaScriptException(_engine.Intrinsics.TypeError, "The rule's then is not a function.");
            }

            var input = JavaScriptEvent.Create(_engine, _event!);
            if (!when.IsUndefined())
            {
                if (!when.IsCallable())
                {
                    throw new JavaScriptException(_engine.Intrinsics.TypeError, "The rule's when is not a function.");
                }

                _whenArguments[0] = input;
                var holds = _engine.Call(when, module, _whenArguments);
                if (holds is ObjectInstance thenable && thenable.Get("then").IsCallable())
                {
                    throw new JavaScriptException(_engine.Intrinsics.TypeError, "The rule's when returned a promise: it must decide at once (it cannot be async).");
                }

                if (!TypeConverter.ToBoolean(holds))
                {
                    return JsValue.Undefined;
                }
            }

            _matched = true;
            _thenArguments[0] = input;
            _thenArguments[1] = _act.Object;
            _engine.Call(then, module, _thenArguments);
            return JsValue.Undefined;
        }
        finally
        {
            _whenArguments[0] = JsValue.Undefined;
            _thenArguments[0] = JsValue.Undefined;
            _running = false;
        }
    }

    /// <summary>The engine's clock: the event's time, so <c>Date.now()</c> and <c>new Date()</c> are the event's.</summary>
    private sealed class EventClock() : DefaultTimeSystem(TimeZoneInfo.Utc, CultureInfo.InvariantCulture)
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
