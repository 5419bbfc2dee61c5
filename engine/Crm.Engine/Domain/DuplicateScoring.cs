using System.Globalization;
using System.Text.Json.Nodes;
using FuzzySharp;

namespace Crm.Engine.Domain;

/// <summary>
/// Scores how likely two contacts (or two accounts) are the same, 0–100, with the reasons: the same normalised email
/// (100) or mailbox (<c>+tag</c> and Gmail dots aside, 90), the same E.164 phone (80), a similar name at the same
/// company (the name's similarity, slightly discounted) or a very similar name alone; for accounts the same domain
/// (85) and a similar name. Each further signal adds 5.
/// </summary>
public static class DuplicateScoring
{
    /// <summary>Candidates below this score are not reported.</summary>
    public const int Threshold = 50;

    private static readonly string[] LegalSuffixes = ["inc", "inc.", "ltd", "ltd.", "llc", "gmbh", "ag", "sa", "corp", "corp.", "co", "co.", "plc", "bv", "limited", "corporation"];

    /// <summary>The score and reasons for two records of one type (contact or account); score 0 when nothing matches.</summary>
    public static (int Score, IReadOnlyList<string> Reasons) Score(string type, JsonObject a, JsonObject b) =>
        type == RecordTypes.Account ? ScoreAccounts(a, b) : ScoreContacts(a, b);

    private static (int, IReadOnlyList<string>) ScoreContacts(JsonObject a, JsonObject b)
    {
        var signals = new List<(int Score, string Reason)>();
        var emailsA = Strings(a, "emails", "email");
        var emailsB = Strings(b, "emails", "email");
        if (emailsA.Intersect(emailsB).FirstOrDefault() is { } same) signals.Add((100, $"same email {same}"));
        else if (emailsA.SelectMany(x => emailsB.Where(y => Mailbox(x) == Mailbox(y)).Select(y => (x, y))).FirstOrDefault() is { x: not null } pair)
        {
            signals.Add((90, $"same mailbox {pair.x} and {pair.y}"));
        }

        if (Strings(a, "phones", "phone").Intersect(Strings(b, "phones", "phone")).FirstOrDefault() is { } phone) signals.Add((80, $"same phone {phone}"));

        var nameA = FullName(a);
        var nameB = FullName(b);
        if (nameA.Length > 0 && nameB.Length > 0)
        {
            var similarity = Fuzz.TokenSortRatio(nameA, nameB);
            var sameCompany = SameCompany(a, b);
            if (similarity >= 85 && sameCompany) signals.Add(((int)Math.Round(similarity * 0.95), $"name {similarity}% similar, same company"));
            else if (similarity >= 90) signals.Add(((int)Math.Round(similarity * 0.7), $"name {similarity}% similar"));
        }

        return Combine(signals);
    }

    private static (int, IReadOnlyList<string>) ScoreAccounts(JsonObject a, JsonObject b)
    {
        var signals = new List<(int Score, string Reason)>();
        var domainA = Domain(a);
        if (domainA is not null && domainA == Domain(b)) signals.Add((85, $"same domain {domainA}"));
        var nameA = CompanyName(Text(a, "name"));
        var nameB = CompanyName(Text(b, "name"));
        if (nameA.Length > 0 && nameB.Length > 0)
        {
            var similarity = Fuzz.TokenSortRatio(nameA, nameB);
            if (similarity >= 90) signals.Add(((int)Math.Round(similarity * 0.8), $"name {similarity}% similar"));
        }

        if (Text(a, "phone") is { } phone && phone == Text(b, "phone")) signals.Add((60, $"same phone {phone}"));
        return Combine(signals);
    }

    private static (int, IReadOnlyList<string>) Combine(List<(int Score, string Reason)> signals)
    {
        if (signals.Count == 0) return (0, []);
        var ordered = signals.OrderByDescending(s => s.Score).ToList();
        var score = Math.Min(100, ordered[0].Score + 5 * (ordered.Count - 1));
        return (score, [.. ordered.Select(s => s.Reason)]);
    }

    /// <summary>An email's mailbox: the local part without a <c>+tag</c> (and, at Gmail, without dots), at the domain.</summary>
    public static string Mailbox(string email)
    {
        var at = email.LastIndexOf('@');
        if (at <= 0) return email;
        var local = email[..at];
        var domain = email[(at + 1)..];
        var plus = local.IndexOf('+');
        if (plus > 0) local = local[..plus];
        if (domain is "gmail.com" or "googlemail.com")
        {
            local = local.Replace(".", "", StringComparison.Ordinal);
            domain = "gmail.com";
        }

        return local + "@" + domain;
    }

    /// <summary>First and last name, lower-case, single-spaced.</summary>
    public static string FullName(JsonObject fields) =>
        string.Join(' ', new[] { Text(fields, "firstName"), Text(fields, "lastName") }.Where(s => !string.IsNullOrWhiteSpace(s))).Trim().ToLower(CultureInfo.InvariantCulture);

    /// <summary>A company or account name, lower-case, without legal suffixes such as Inc or GmbH.</summary>
    public static string CompanyName(string? name) =>
        name is null ? "" : string.Join(' ', name.ToLower(CultureInfo.InvariantCulture)
            .Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(w => !LegalSuffixes.Contains(w)));

    /// <summary>An account's domain (or its website's host), lower-case, without <c>www.</c>.</summary>
    public static string? Domain(JsonObject fields)
    {
        var raw = Text(fields, "domain") ?? Text(fields, "website");
        if (string.IsNullOrWhiteSpace(raw)) return null;
        raw = raw.Trim().ToLower(CultureInfo.InvariantCulture);
        if (Uri.TryCreate(raw.Contains("://", StringComparison.Ordinal) ? raw : "http://" + raw, UriKind.Absolute, out var uri)) raw = uri.Host;
        return raw.StartsWith("www.", StringComparison.Ordinal) ? raw[4..] : raw;
    }

    private static bool SameCompany(JsonObject a, JsonObject b)
    {
        if (Text(a, "accountId") is { } account && account == Text(b, "accountId")) return true;
        var ca = CompanyName(Text(a, "company"));
        var cb = CompanyName(Text(b, "company"));
        return ca.Length > 0 && cb.Length > 0 && Fuzz.Ratio(ca, cb) >= 90;
    }

    private static List<string> Strings(JsonObject fields, string list, string single)
    {
        var values = fields[list] is JsonArray a ? a.Select(n => n!.GetValue<string>()).ToList() : [];
        if (Text(fields, single) is { } one && !values.Contains(one)) values.Add(one);
        return values;
    }

    private static string? Text(JsonObject fields, string name) =>
        fields[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
