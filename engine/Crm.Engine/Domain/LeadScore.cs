using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>One line of a contact's lead-score breakdown: the points a rule gave and why.</summary>
public sealed record ScoreEntry(string Rule, int Version, string Reason, int Points);

/// <summary>
/// A contact's lead score: the sum of its breakdown. Validate/enrich rules re-state their points each time they run
/// (their lines are replaced, so criteria that stop holding stop counting); react rules add points to their lines.
/// </summary>
public static class LeadScore
{
    /// <summary>Most lines one contact's breakdown keeps.</summary>
    public const int MaxEntries = 200;

    /// <summary>The breakdown after a rule scored, or null when nothing changes.</summary>
    public static List<ScoreEntry>? Apply(IReadOnlyList<ScoreEntry> current, string rule, int version, IReadOnlyList<(int Points, string Reason)> scores, bool replace)
    {
        var next = replace ? current.Where(e => e.Rule != rule).ToList() : [.. current];
        foreach (var (points, reason) in scores)
        {
            var i = next.FindIndex(e => e.Rule == rule && e.Reason == reason);
            if (i >= 0) next[i] = next[i] with { Version = version, Points = next[i].Points + points };
            else next.Add(new ScoreEntry(rule, version, reason, points));
        }

        next.RemoveAll(e => e.Points == 0);
        if (next.Count > MaxEntries) next.RemoveRange(0, next.Count - MaxEntries);
        return next.SequenceEqual(current) ? null : next;
    }

    public static int Total(IEnumerable<ScoreEntry> entries) => entries.Sum(e => e.Points);

    public static JsonArray ToJson(IEnumerable<ScoreEntry> entries) =>
        [.. entries.Select(e => (JsonNode)new JsonObject { ["rule"] = e.Rule, ["version"] = e.Version, ["reason"] = e.Reason, ["points"] = e.Points })];

    public static List<ScoreEntry> FromJson(JsonNode? node) =>
        node is JsonArray array
            ? [.. array.OfType<JsonObject>().Select(o => new ScoreEntry((string)o["rule"]!, (int?)o["version"] ?? 1, (string?)o["reason"] ?? "", (int?)o["points"] ?? 0))]
            : [];
}
