using System.Text.RegularExpressions;

namespace Crm.Plugins.Email;

/// <summary>
/// The convention that ties mail to a case: the subject carries <c>[Case #&lt;caseId&gt;]</c>. Mail about a case
/// (a rule's <c>act.send</c>, an agent's reply) puts it in the subject; a reply keeps it, and the plugin links the
/// reply to that case.
/// </summary>
public static partial class CaseReference
{
    /// <summary>The subject with the case's reference appended, unless it carries it already.</summary>
    public static string Tag(string subject, string caseId) =>
        Find(subject) == caseId ? subject : $"{subject.TrimEnd()} [Case #{caseId}]".TrimStart();

    /// <summary>The case id a subject names, or null.</summary>
    public static string? Find(string? subject) =>
        subject is not null && Pattern().Match(subject) is { Success: true } m ? m.Groups["id"].Value : null;

    [GeneratedRegex(@"\[\s*Case\s*#\s*(?<id>[A-Za-z0-9][A-Za-z0-9._-]{0,63})\s*\]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex Pattern();
}
