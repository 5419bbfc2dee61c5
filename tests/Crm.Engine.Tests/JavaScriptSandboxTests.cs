using System.Diagnostics;
using Crm.Engine.Rules;
using Crm.Engine.Rules.JavaScript;

namespace Crm.Engine.Tests;

/// <summary>
/// The sandbox JavaScript rules run in: hostile rules are stopped by their limit, reach nothing of the host, and leave
/// nothing behind on a pooled engine for the next rule, of the same tenant or another.
/// </summary>
public sealed class JavaScriptSandboxTests
{
    private const string Harmless = "(e, act) => act.addTag('ok')";

    private readonly RuleHarness _rules = new();

    [Theory]
    [InlineData("(e, act) => { while (true) {} }", "statements")]
    [InlineData("(e, act) => { const f = n => f(n + 1); f(0); }", "recursion")]
    [InlineData("(e, act) => { /^(a+)+$/.test('a'.repeat(40) + 'b'); }", "regexTime")]
    public void A_runaway_rule_is_stopped_by_its_limit_and_the_tenant_carries_on(string then, string limit)
    {
        // A time limit far off, so that on a busy machine the limit under test is still the one reached first.
        var limits = new JavaScriptLimits { Timeout = TimeSpan.FromMinutes(1) };

        var stopped = Assert.Throws<RuleLimitExceededException>(() => _rules.Run(RuleEvents.Module(then), limits: limits));

        Assert.Equal(limit, stopped.Limit);
        Assert.Equal("rule_limit", stopped.Code);
        Assert.Single(_rules.Run(RuleEvents.Module(Harmless)).Actions);
        Assert.Single(_rules.Run(RuleEvents.Module(Harmless), RuleEvents.Contact(tenant: "other")).Actions);
    }

    [Fact]
    public void Promise_jobs_a_rule_queues_run_within_its_limits()
    {
        var limits = new JavaScriptLimits { MaxStatements = 10_000, MaxMemoryBytes = 256 * 1024 * 1024, Timeout = TimeSpan.FromSeconds(10) };

        var stopped = Assert.Throws<RuleLimitExceededException>(() =>
            _rules.Run(RuleEvents.Module("(e, act) => { const f = () => { Promise.resolve().then(f); }; f(); }"), limits: limits));

        Assert.Equal("statements", stopped.Limit);
    }

    [Fact]
    public void A_loop_within_the_statement_limit_but_past_the_time_limit_is_stopped_by_time()
    {
        var limits = new JavaScriptLimits { MaxStatements = int.MaxValue, Timeout = TimeSpan.FromMilliseconds(50) };

        var stopped = Assert.Throws<RuleLimitExceededException>(() => _rules.Run(RuleEvents.Module("(e, act) => { for (;;) {} }"), limits: limits));

        Assert.Equal("time", stopped.Limit);
    }

    [Fact]
    public void The_module_top_level_when_and_then_share_one_budget()
    {
        var limits = new JavaScriptLimits { MaxStatements = 1_000 };
        const string loop = "{ for (let i = 0; i < 400; i++) {} return true; }";

        _rules.Run(RuleEvents.Module("(e, act) => {}", when: "e => " + loop), limits: limits);
        _rules.Run(RuleEvents.Module("(e, act) => " + loop), limits: limits);
        var stopped = Assert.Throws<RuleLimitExceededException>(() =>
            _rules.Run(RuleEvents.Module("(e, act) => " + loop, when: "e => " + loop, top: "for (let i = 0; i < 400; i++) {}"), limits: limits));

        Assert.Equal("statements", stopped.Limit);
    }

    [Fact]
    public void Each_evaluation_on_a_pooled_engine_gets_the_whole_budget_again()
    {
        var limits = new JavaScriptLimits { MaxStatements = 1_000, MaxMemoryBytes = 4 * 1024 * 1024 };
        var module = RuleEvents.Module("(e, act) => { const a = []; for (let i = 0; i < 600; i++) a.push('x'.repeat(2_000) + i); act.score(a.length, 'made'); }");

        for (var i = 0; i < 5; i++)
        {
            Assert.Single(_rules.Run(module, limits: limits).Actions);
        }

        Assert.Equal(1, _rules.Runtime.SandboxesCreated);
    }

    [Theory]
    [InlineData("(e, act) => { act.set({ n: 'x'.repeat(2 ** 28).length }); }", "memory")]
    [InlineData("(e, act) => { const a = []; for (let i = 0; i < 1e5; i++) a.push('x'.repeat(1000) + i); }", "memory")]
    [InlineData("(e, act) => { const a = []; for (let i = 0; i < 1e7; i++) a.push({ i }); }", "arraySize")]
    [InlineData("(e, act) => { new Array(1e9).fill(0); }", "arraySize")]
    [InlineData("(e, act) => { const a = []; a.length = 5e5; a.fill(1); }", "arraySize")]
    public void A_rule_that_grabs_memory_or_huge_arrays_is_stopped(string then, string limit)
    {
        var roomy = new JavaScriptLimits { MaxStatements = int.MaxValue, Timeout = TimeSpan.FromSeconds(20) };

        var stopped = Assert.Throws<RuleLimitExceededException>(() => _rules.Run(RuleEvents.Module(then), limits: roomy));

        Assert.Equal(limit, stopped.Limit);
        Assert.Single(_rules.Run(RuleEvents.Module(Harmless), limits: roomy).Actions);
    }

    [Fact]
    public void Prototype_pollution_fails_and_the_next_rule_on_the_same_engine_sees_clean_built_ins()
    {
        var polluter = RuleEvents.Module("""
            (e, act) => {
              const attempts = [
                () => { Object.prototype.polluted = 'yes'; },
                () => { Array.prototype.map = () => 'hijacked'; },
                () => { String.prototype.trim = () => 'hijacked'; },
                () => { JSON.parse = () => ({ hijacked: true }); },
                () => { Math.max = () => 42; },
                () => { globalThis.secret = e.after.name; },
                () => { Object.defineProperty(Object.prototype, 'polluted', { value: 1 }); },
                () => { Reflect.set(Array.prototype, 'polluted', 1); if (!('polluted' in [])) throw new TypeError('refused'); },
                () => { Object.setPrototypeOf(Object.prototype, { polluted: 1 }); },
                () => { Object.getPrototypeOf(function* () {}).polluted = 1; },
                () => { Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({ done: true }); },
              ];
              let refused = 0;
              for (const attempt of attempts) {
                try { attempt(); } catch (error) { if (error instanceof TypeError) refused++; }
              }
              act.score(refused, 'refused');
            }
            """);
        var checker = RuleEvents.Module("""
            (e, act) => act.set({
              polluted: ({}).polluted === undefined && [].polluted === undefined,
              map: [1].map(x => x + 1)[0], trim: ' a '.trim(), json: JSON.parse('{"a":1}').a, max: Math.max(1, 2),
              secret: typeof secret, iterates: [...[1, 2]].length,
            })
            """);

        var refused = Assert.Single(_rules.Run(polluter).Actions);
        var seen = Assert.Single(_rules.Run(checker).Actions);

        Assert.Equal("""{"points":11,"reason":"refused"}""", refused.ArgsJson);
        Assert.Equal("""{"fields":{"polluted":true,"map":2,"trim":"a","json":1,"max":2,"secret":"undefined","iterates":2}}""", seen.ArgsJson);
        Assert.Equal(1, _rules.Runtime.SandboxesCreated);
    }

    [Fact]
    public void Every_object_reachable_from_the_global_object_is_frozen()
    {
        var walk = _rules.OneAction("""
            (e, act) => {
              const seen = new Set();
              const open = [];
              const stack = [globalThis, Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async function* () {}),
                Object.getPrototypeOf([][Symbol.iterator]()), Object.getPrototypeOf(new Map().keys()), Object.getPrototypeOf(''[Symbol.iterator]())];
              while (stack.length > 0) {
                const value = stack.pop();
                if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
                seen.add(value);
                if (!Object.isFrozen(value)) open.push(String(value.name ?? value[Symbol.toStringTag] ?? value));
                stack.push(Object.getPrototypeOf(value));
                for (const key of Reflect.ownKeys(value)) {
                  const property = Reflect.getOwnPropertyDescriptor(value, key);
                  if ('value' in property) stack.push(property.value); else stack.push(property.get, property.set);
                }
              }
              act.set({ objects: seen.size, open });
            }
            """, RuleActionKinds.Set, limits: new JavaScriptLimits { MaxStatements = 1_000_000, Timeout = TimeSpan.FromSeconds(10) })["fields"]!;

        Assert.Empty(walk["open"]!.AsArray());
        Assert.True((int)walk["objects"]! > 500, $"walked {walk["objects"]} objects");
    }

    [Theory]
    [InlineData("Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000)")]
    [InlineData("Atomics.waitAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000).value.then(() => act.addTag('late'))")]
    public void A_rule_cannot_block_its_thread_waiting(string code)
    {
        var clock = Stopwatch.StartNew();

        try
        {
            _rules.Run(RuleEvents.Module($"(e, act) => {{ {code}; }}"));
        }
        catch (RuleScriptException)
        {
        }

        // A wait that blocked would take the two minutes it asked for; however busy the machine, returning takes far less.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"returned after {clock.Elapsed}");
    }

    [Fact]
    public void A_rule_of_one_tenant_cannot_leave_data_for_a_rule_of_another()
    {
        var stash = RuleEvents.Module("""
            (e, act) => {
              const secret = e.after.name;
              for (const attempt of [
                () => { globalThis.stash = secret; },
                () => { Object.prototype.stash = secret; },
                () => { Math.stash = secret; },
                () => { act.stash = secret; },
                () => { Symbol.stash = secret; },
              ]) { try { attempt(); } catch { } }
              /(\w+)/.exec(secret);
              Symbol.for('stash:' + secret);
            }
            """);
        var look = RuleEvents.Module("""
            (e, act) => act.set({
              found: [typeof stash, typeof ({}).stash, typeof Math.stash, typeof act.stash, typeof Symbol.stash, typeof RegExp.$1,
                      typeof RegExp.lastMatch, typeof RegExp.input],
            })
            """);

        _rules.Run(stash, RuleEvents.Contact(after: """{"name":"Tenant A secret"}""", tenant: "tenant-a"));
        var fromA = _rules.Run(look, RuleEvents.Contact(tenant: "tenant-a"));
        var fromB = _rules.Run(look, RuleEvents.Contact(tenant: "tenant-b"));

        const string nothing = """{"fields":{"found":["undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined"]}}""";
        Assert.Equal(nothing, Assert.Single(fromA.Actions).ArgsJson);
        Assert.Equal(nothing, Assert.Single(fromB.Actions).ArgsJson);
        Assert.Equal(2, _rules.Runtime.SandboxesCreated);
    }

    [Fact]
    public void Work_a_failing_rule_left_queued_does_not_run_in_the_next_evaluation()
    {
        var leaver = RuleEvents.Module("(e, act) => { Promise.resolve().then(() => act.addTag('leaked')); throw new Error('boom'); }");

        Assert.Contains("boom", Assert.Throws<RuleScriptException>(() => _rules.Run(leaver)).Message);
        var next = _rules.Run(RuleEvents.Module(Harmless));

        Assert.Equal("""{"tag":"ok"}""", Assert.Single(next.Actions).ArgsJson);
        Assert.Equal(1, _rules.Runtime.SandboxesCreated);
    }

    [Theory]
    [InlineData("eval('1 + 1')")]
    [InlineData("Function('return 1')()")]
    [InlineData("(function () {}).constructor('return this')()")]
    [InlineData("(() => {}).constructor('return 1')()")]
    [InlineData("(async function () {}).constructor('return 1')()")]
    [InlineData("(function* () {}).constructor('yield 1')().next()")]
    [InlineData("new Function('return 1')()")]
    public void Code_from_strings_is_refused(string code)
    {
        Assert.Throws<RuleScriptException>(() => _rules.Run(RuleEvents.Module($"(e, act) => {{ {code}; }}")));
    }

    [Fact]
    public void No_host_object_is_reachable()
    {
        var reachable = _rules.OneAction("""
            (e, act) => act.set({ types: [typeof System, typeof importNamespace, typeof clrHelper, typeof require, typeof process,
              typeof setTimeout, typeof setInterval, typeof fetch, typeof console, typeof host, typeof clr, typeof module, typeof exports,
              typeof WeakRef, typeof FinalizationRegistry] })
            """, RuleActionKinds.Set)["fields"]!["types"]!.AsArray();

        Assert.All(reachable, type => Assert.Equal("undefined", (string?)type));
    }

    [Fact]
    public void Calling_into_the_host_through_act_or_the_entry_point_leads_nowhere()
    {
        var probe = _rules.OneAction("""
            (e, act) => {
              const reached = [];
              for (const attempt of [
                () => act.addTag.constructor('return globalThis')(),
                () => act.constructor.constructor('return 1')(),
                () => __crmRule(() => ({ then: () => {} })),
                () => Object.getPrototypeOf(act.addTag).constructor('return 1')(),
                () => new ShadowRealm().evaluate('1'),
              ]) { try { reached.push(String(attempt())); } catch (error) { reached.push(error.message); } }
              act.set({ reached, frozen: Object.isFrozen(act) && Object.isFrozen(globalThis) && Object.isFrozen(Object.prototype) });
            }
            """, RuleActionKinds.Set)["fields"]!;

        Assert.Equal(
            [
                "String compilation has been disabled in engine options", "String compilation has been disabled in engine options",
                "__crmRule is the rule engine's own.", "String compilation has been disabled in engine options", "ShadowRealm is not defined",
            ],
            probe["reached"]!.AsArray().Select(r => (string?)r));
        Assert.True((bool)probe["frozen"]!);
    }

    [Fact]
    public void Sloppy_code_is_refused_because_rules_run_in_strict_mode()
    {
        var thrown = Assert.Throws<RuleScriptException>(() => _rules.Run(RuleEvents.Module("(e, act) => { undeclared = 1; }")));

        Assert.Contains("undeclared", thrown.Message);
    }

    [Fact]
    public void A_rule_that_throws_is_a_script_error_naming_the_cause_and_the_line()
    {
        var thrown = Assert.Throws<RuleScriptException>(() => _rules.Run("""
            export default {
              on: "contact.updated",
              then: (e, act) => {
                if (!e.after.owner) throw new Error('no owner');
              },
            };
            """));

        Assert.Equal("rule_error", thrown.Code);
        Assert.Contains("no owner", thrown.Message);
        Assert.Contains("(4:", thrown.Message);
    }

    [Fact]
    public void An_oversized_event_is_refused_before_running()
    {
        var small = new JavaScriptLimits { MaxInputLength = 300 };

        var refused = Assert.Throws<RuleLimitExceededException>(() =>
            _rules.Run(RuleEvents.Module(Harmless), RuleEvents.Contact(after: $$"""{"notes":"{{new string('x', 400)}}"}"""), small));

        Assert.Equal("input", refused.Limit);
        Assert.Single(_rules.Run(RuleEvents.Module(Harmless), RuleEvents.Contact(), small).Actions);
    }

    [Fact]
    public void A_tenant_with_other_limits_gets_an_engine_built_with_them()
    {
        var strict = new JavaScriptLimits { MaxStatements = 50 };
        var loop = RuleEvents.Module("(e, act) => { for (let i = 0; i < 100; i++) {} }");

        _rules.Run(loop);
        Assert.Equal("statements", Assert.Throws<RuleLimitExceededException>(() => _rules.Run(loop, limits: strict)).Limit);
        _rules.Run(loop);

        Assert.Equal(3, _rules.Runtime.SandboxesCreated);
    }

    [Fact]
    public void Threads_evaluating_at_once_each_get_their_own_engine_and_their_own_results()
    {
        var rule = _rules.Compiler.Compile(RuleEvents.Module("(e, act) => { let n = e.after.n; for (let i = 0; i < 50; i++) n += 0; act.score(n, e.tenant); }"), _rules.Limits);
        var failures = 0;

        Parallel.For(0, 2_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var tenant = "tenant-" + (i % 3);
            var outcome = _rules.Runtime.Evaluate(rule, RuleEvents.Contact(after: $$"""{"n":{{i}}}""", tenant: tenant), _rules.Limits);
            if (Assert.Single(outcome.Actions).ArgsJson != $$"""{"points":{{i}},"reason":"{{tenant}}"}""") Interlocked.Increment(ref failures);
        });

        Assert.Equal(0, failures);
        Assert.InRange(_rules.Runtime.Pooled, 1, _rules.Runtime.MaxPooled);
    }

    [Fact]
    public void Idle_engines_are_bounded_per_tenant_and_in_all()
    {
        var runtime = new JavaScriptRuleRuntime(maxPerTenant: 1, maxPooled: 2);
        var rules = new RuleHarness { Runtime = runtime };

        foreach (var tenant in new[] { "a", "b", "c", "a" })
        {
            rules.Run(RuleEvents.Module(Harmless), RuleEvents.Contact(tenant: tenant));
        }

        Assert.Equal(2, runtime.Pooled);
        Assert.Equal(4, runtime.SandboxesCreated);
    }

    [Fact]
    public void An_engine_is_retired_after_its_share_of_evaluations()
    {
        var runtime = new JavaScriptRuleRuntime(maxEvaluationsPerSandbox: 3);
        var rules = new RuleHarness { Runtime = runtime };

        for (var i = 0; i < 7; i++)
        {
            rules.Run(RuleEvents.Module(Harmless));
        }

        Assert.Equal(3, runtime.SandboxesCreated);
    }
}
