using System.Text.Json.Nodes;
using Crm.Engine.Rules;

namespace Crm.Benchmarks;

/// <summary>A lead-scoring rule set as a power user would write it in JavaScript, and the same ten rules in C#.</summary>
internal static class LeadScoring
{
    public static readonly string[] JavaScript =
    [
        """
        export default {
          on: "contact.updated",
          name: "VP title",
          when: e => (e.after.title || "").includes("VP"),
          then: (e, act) => act.score(20, "VP title"),
        };
        """,
        """
        const freeMail = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];

        export default {
          on: "contact.updated",
          name: "Business email",
          when: e => {
            const email = e.after.email || "";
            const domain = email.slice(email.indexOf("@") + 1).toLowerCase();
            return domain !== "" && !freeMail.includes(domain);
          },
          then: (e, act) => act.score(10, "business email"),
        };
        """,
        """
        export default {
          on: "contact.updated",
          name: "Company size",
          when: e => e.after.employees >= 200,
          then: (e, act) => act.score(e.after.employees >= 500 ? 25 : 15, "company size"),
        };
        """,
        """
        export default {
          on: "contact.updated",
          name: "Webinar lead",
          when: e => e.after.source === "webinar",
          then: (e, act) => act.score(10, "webinar"),
        };
        """,
        """
        export default {
          on: "contact.updated",
          name: "Pricing page",
          when: e => (e.after.tags || []).includes("pricing"),
          then: (e, act) => {
            act.score(25, "visited pricing");
            act.addTag("hot");
          },
        };
        """,
        """
        const target = ["US", "CA", "GB", "DE"];

        export default {
          on: "contact.updated",
          name: "Target country",
          when: e => target.includes(e.after.country),
          then: (e, act) => act.score(5, "target country"),
        };
        """,
        """
        export default {
          on: "contact.updated",
          name: "Became MQL",
          fields: ["lifecycleStage"],
          when: e => e.changes.lifecycleStage && e.changes.lifecycleStage.to === "mql",
          then: (e, act) => act.score(10, "marketing qualified"),
        };
        """,
        """
        export default {
          on: "contact.updated",
          name: "Reachable by phone",
          when: e => Boolean(e.after.phone),
          then: (e, act) => act.score(5, "has phone"),
        };
        """,
        """
        const deciders = ["CEO", "CTO", "Founder"];

        export default {
          on: "contact.updated",
          name: "Decision maker",
          when: e => deciders.includes(e.after.title) || (e.after.title || "").startsWith("Head of"),
          then: (e, act) => act.score(15, "decision maker"),
        };
        """,
        """
        export default {
          on: "contact.updated",
          name: "Enterprise queue",
          when: e => (e.after.tags || []).includes("enterprise") && e.after.employees >= 500,
          then: (e, act) => act.assign({ queue: "enterprise" }),
        };
        """,
    ];

    private static readonly string[] FreeMail = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];
    private static readonly string[] TargetCountries = ["US", "CA", "GB", "DE"];
    private static readonly string[] Deciders = ["CEO", "CTO", "Founder"];

    public static readonly ICrmRule[] CSharp =
    [
        new Rule("vp-title", e => Text(e, "title").Contains("VP", StringComparison.Ordinal), (e, act) => act.Score(20, "VP title")),
        new Rule("business-email", e =>
        {
            var email = Text(e, "email");
            var domain = email[(email.IndexOf('@') + 1)..].ToLowerInvariant();
            return domain.Length > 0 && Array.IndexOf(FreeMail, domain) < 0;
        }, (e, act) => act.Score(10, "business email")),
        new Rule("company-size", e => Number(e, "employees") >= 200, (e, act) => act.Score(Number(e, "employees") >= 500 ? 25 : 15, "company size")),
        new Rule("webinar", e => Text(e, "source") == "webinar", (e, act) => act.Score(10, "webinar")),
        new Rule("pricing", e => Tags(e).Contains("pricing"), (e, act) =>
        {
            act.Score(25, "visited pricing");
            act.AddTag("hot");
        }),
        new Rule("target-country", e => Array.IndexOf(TargetCountries, Text(e, "country")) >= 0, (e, act) => act.Score(5, "target country")),
        new Rule("became-mql", e => e.Changes["lifecycleStage"] is JsonObject change && (string?)change["to"] == "mql", (e, act) => act.Score(10, "marketing qualified")),
        new Rule("phone", e => Text(e, "phone").Length > 0, (e, act) => act.Score(5, "has phone")),
        new Rule("decision-maker", e => Array.IndexOf(Deciders, Text(e, "title")) >= 0 || Text(e, "title").StartsWith("Head of", StringComparison.Ordinal),
            (e, act) => act.Score(15, "decision maker")),
        new Rule("enterprise-queue", e => Tags(e).Contains("enterprise") && Number(e, "employees") >= 500, (e, act) => act.AssignRoundRobin("queue", "enterprise")),
    ];

    private static string Text(RuleEvent e, string field) => e.After[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";

    private static double Number(RuleEvent e, string field) => e.After[field] is not JsonValue value ? double.NaN
        : value.TryGetValue<double>(out var n) ? n
        : value.TryGetValue<int>(out var i) ? i
        : double.NaN;

    private static IEnumerable<string?> Tags(RuleEvent e) => e.After["tags"] is JsonArray tags ? tags.Select(t => (string?)t) : [];

    private sealed class Rule(string id, Func<RuleEvent, bool> when, Action<RuleEvent, IRuleActions> then) : CrmRule
    {
        public override string Id => id;

        public override string On => "contact.updated";

        public override bool When(RuleEvent e) => when(e);

        public override void Then(RuleEvent e, IRuleActions act) => then(e, act);
    }
}
