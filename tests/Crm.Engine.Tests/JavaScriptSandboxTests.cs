using System.Diagnostics;
using Crm.Engine.Rules;
using Crm.Engine.Rules.JavaScript;

namespace Crm.Engine.Tests;

/// <summary>
/// The JavaScript sandbox rules run in: plain JSON in and out, and hostile scripts stopped by their limit with nothing
/// left behind for the next evaluation.
/// </summary>
public sealed class JavaScriptSandboxTests
{
    private readonly JavaScriptSandbox _sandbox = new(new JavaScriptLimits());

    [Fact]
    public void A_rule_sees_its_input_as_plain_objects_and_returns_json()
    {
        var result = _sandbox.Evaluate(
            "e => ({ big: e.after.amount > 10000, stage: e.after.stage.toUpperCase(), tags: e.after.tags.map(t => t + '!') })",
            """{"after":{"amount":25000,"stage":"proposal","tags":["vip"]}}""");

        Assert.Equal("""{"big":true,"stage":"PROPOSAL","tags":["vip!"]}""", result);
        Assert.Equal("null", _sandbox.Evaluate("e => undefined", "{}"));
    }

    [Theory]
    [InlineData("e => { while (true) {} }", "statements")]
    [InlineData("e => { const f = n => f(n + 1); return f(0); }", "recursion")]
    [InlineData("e => /^(a+)+$/.test('a'.repeat(40) + 'b')", "regexTime")]
    public void A_runaway_script_is_stopped_by_its_limit(string script, string limit)
    {
        var clock = Stopwatch.StartNew();
        var stopped = Assert.Throws<RuleLimitExceededException>(() => _sandbox.Evaluate(script, "{}"));

        Assert.Equal(limit, stopped.Limit);
        Assert.Equal("rule_limit", stopped.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopped after {clock.Elapsed}");
    }

    [Fact]
    public void A_loop_within_the_statement_limit_but_past_the_time_limit_is_stopped_by_time()
    {
        var slow = new JavaScriptSandbox(new JavaScriptLimits { MaxStatements = int.MaxValue, Timeout = TimeSpan.FromMilliseconds(50) });

        var stopped = Assert.Throws<RuleLimitExceededException>(() => slow.Evaluate("e => { for (;;) {} }", "{}"));

        Assert.Equal("time", stopped.Limit);
    }

    [Theory]
    [InlineData("e => 'x'.repeat(2 ** 28).length")]
    [InlineData("e => { const a = []; for (let i = 0; i < 1e7; i++) a.push({ i }); return a.length; }")]
    [InlineData("e => new Array(1e9).fill(0).length")]
    public void A_script_that_grabs_memory_or_huge_arrays_is_stopped(string script)
    {
        var roomy = new JavaScriptSandbox(new JavaScriptLimits { MaxStatements = int.MaxValue, Timeout = TimeSpan.FromSeconds(20) });

        var stopped = Assert.Throws<RuleLimitExceededException>(() => roomy.Evaluate(script, "{}"));

        Assert.Contains(stopped.Limit, new[] { "memory", "arraySize" });
    }

    [Fact]
    public void What_one_rule_does_to_globals_and_prototypes_is_not_seen_by_the_next()
    {
        _sandbox.Evaluate("e => { Object.prototype.polluted = 'yes'; Array.prototype.map = () => 'hijacked'; globalThis.secret = e.secret; return 1; }",
            """{"secret":"tenant-a"}""");

        var next = _sandbox.Evaluate("e => [({}).polluted === undefined, [1].map(x => x + 1)[0], typeof secret]", "{}");

        Assert.Equal("""[true,2,"undefined"]""", next);
    }

    [Theory]
    [InlineData("e => eval('1 + 1')")]
    [InlineData("e => Function('return 1')()")]
    [InlineData("e => (() => {}).constructor('return this')()")]
    public void Code_from_strings_is_refused(string script)
    {
        Assert.Throws<RuleScriptException>(() => _sandbox.Evaluate(script, "{}"));
    }

    [Fact]
    public void No_host_object_is_reachable()
    {
        var reachable = _sandbox.Evaluate(
            "e => [typeof System, typeof importNamespace, typeof require, typeof setTimeout, typeof fetch, typeof process, typeof clr, typeof host]",
            "{}");

        Assert.Equal("""["undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined"]""", reachable);
    }

    [Fact]
    public void Sloppy_code_is_refused_because_rules_run_in_strict_mode()
    {
        var thrown = Assert.Throws<RuleScriptException>(() => _sandbox.Evaluate("e => { undeclared = 1; return undeclared; }", "{}"));
        Assert.Contains("undeclared", thrown.Message);
    }

    [Fact]
    public void A_script_that_throws_or_does_not_parse_is_a_script_error_naming_the_cause()
    {
        Assert.Contains("no amount", Assert.Throws<RuleScriptException>(() => _sandbox.Evaluate("e => { throw new Error('no amount'); }", "{}")).Message);
        Assert.Throws<RuleScriptException>(() => _sandbox.Evaluate("e => {", "{}"));
        Assert.Throws<RuleScriptException>(() => _sandbox.Evaluate("42", "{}"));
    }

    [Fact]
    public void Oversized_scripts_and_inputs_are_refused_before_running()
    {
        var small = new JavaScriptSandbox(new JavaScriptLimits { MaxScriptLength = 20, MaxInputLength = 10 });

        Assert.Equal("script", Assert.Single(Assert.Throws<ValidationException>(() => small.Evaluate("e => '" + new string('x', 30) + "'", "{}")).Errors).Field);
        Assert.Equal("input", Assert.Throws<RuleLimitExceededException>(() => small.Evaluate("e => 1", """{"a":"0123456789"}""")).Limit);
    }
}
