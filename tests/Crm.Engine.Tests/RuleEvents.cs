using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Rules.JavaScript;

namespace Crm.Engine.Tests;

/// <summary>Events and rule modules for the rule tests.</summary>
internal static class RuleEvents
{
    public static readonly DateTimeOffset Time = new(2025, 3, 14, 9, 26, 53, 589, TimeSpan.Zero);

    public static RuleEvent Contact(string after = """{"name":"Ada","amount":25000}""", string tenant = "acme", string trigger = "contact.updated",
        string? before = null, string changes = "{}", string payload = "{}") => new()
    {
        Trigger = trigger,
        Tenant = tenant,
        RecordType = "contact",
        RecordId = "c1",
        EventId = Guid.Parse("0195b1c2-3d4e-7f00-8a9b-0c1d2e3f4a5b"),
        Time = Time,
        Actor = "user:u1",
        Before = before is null ? null : Json.Obj(before),
        After = Json.Obj(after),
        Changes = Json.Obj(changes),
        Payload = Json.Obj(payload),
        Depth = 0,
    };

    /// <summary>A module whose <c>then</c> is <paramref name="then"/> (and <c>when</c>, if given).</summary>
    public static string Module(string then, string? when = null, string on = "contact.updated", string top = "") =>
        $$"""
        {{top}}
        export default {
          on: "{{on}}",
          {{(when is null ? "" : "when: " + when + ",")}}
          then: {{then}},
        };
        """;
}

/// <summary>A compiler and a runtime as the engine wires them, with default limits.</summary>
internal sealed class RuleHarness
{
    public JavaScriptRuleCompiler Compiler { get; } = new();

    public JavaScriptRuleRuntime Runtime { get; init; } = new();

    public JavaScriptLimits Limits { get; init; } = new();

    public RuleOutcome Run(string module, RuleEvent? e = null, JavaScriptLimits? limits = null) =>
        Runtime.Evaluate(Compiler.Compile(module, limits ?? Limits), e ?? RuleEvents.Contact(), limits ?? Limits);

    /// <summary>Runs a rule whose <c>then</c> is <paramref name="then"/> and returns its only action's arguments.</summary>
    public JsonObject OneAction(string then, string kind, RuleEvent? e = null, JavaScriptLimits? limits = null)
    {
        var action = Assert.Single(Run(RuleEvents.Module(then), e, limits).Actions);
        Assert.Equal(kind, action.Kind);
        return action.Args();
    }
}
