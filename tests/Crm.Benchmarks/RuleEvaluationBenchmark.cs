using System.Text.Json.Nodes;
using Crm.Engine.Rules.JavaScript;

namespace Crm.Benchmarks;

/// <summary>
/// (h) One thread evaluating a lead-scoring rule on contact JSON: through the JavaScript sandbox (a fresh realm per
/// evaluation, every limit on, input parsed inside and result serialised out), beside the same logic as a C# function
/// over the same JSON. Evaluations per second on one thread are evaluations per second per core.
/// </summary>
internal static class RuleEvaluationBenchmark
{
    private const string Script = """
        c => {
          let score = 0;
          const reasons = [];
          if (c.email && c.email.endsWith('.com')) { score += 10; reasons.push('business email'); }
          if (c.company) { score += 15; reasons.push('has company'); }
          if ((c.tags || []).includes('newsletter')) { score += 5; reasons.push('newsletter'); }
          if (c.phone) { score += 5; reasons.push('has phone'); }
          return { score, reasons };
        }
        """;

    public sealed record Result(Measurement JavaScript, Measurement CSharp);

    public static Result Run(IReadOnlyList<string> contactsJson, int evaluations, int warmUp)
    {
        var sandbox = new JavaScriptSandbox(new JavaScriptLimits());
        for (var i = 0; i < warmUp; i++) sandbox.Evaluate(Script, contactsJson[i % contactsJson.Count]);
        var probe = Measurement.Start();
        for (var i = 0; i < evaluations; i++) sandbox.Evaluate(Script, contactsJson[i % contactsJson.Count]);
        var js = probe.Stop(evaluations);

        for (var i = 0; i < warmUp; i++) Score(contactsJson[i % contactsJson.Count]);
        probe = Measurement.Start();
        for (var i = 0; i < evaluations; i++) Score(contactsJson[i % contactsJson.Count]);
        var cs = probe.Stop(evaluations);
        return new Result(js, cs);
    }

    /// <summary>The same rule in C#, with the same JSON in and out.</summary>
    private static string Score(string json)
    {
        var c = JsonNode.Parse(json)!.AsObject();
        var score = 0;
        var reasons = new JsonArray();
        if ((string?)c["email"] is { } email && email.EndsWith(".com", StringComparison.Ordinal)) { score += 10; reasons.Add("business email"); }
        if (c["company"] is not null) { score += 15; reasons.Add("has company"); }
        if (c["tags"] is JsonArray tags && tags.Any(t => (string?)t == "newsletter")) { score += 5; reasons.Add("newsletter"); }
        if (c["phone"] is not null) { score += 5; reasons.Add("has phone"); }
        return new JsonObject { ["score"] = score, ["reasons"] = reasons }.ToJsonString();
    }
}
