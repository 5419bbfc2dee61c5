using System.Globalization;

namespace Crm.Engine.Domain;

/// <summary>
/// A contact's consent decisions per address × purpose × channel, and the rule that answers "may I contact?":
/// the latest decision in effect at the asked time decides; unknown means no for consent-based purposes.
/// </summary>
public sealed class ConsentLedger
{
    /// <summary>Applies to every address of the contact on a channel.</summary>
    public const string AnyAddress = "*";

    private readonly List<ConsentEntry> _entries = [];

    /// <summary>Every decision ever recorded, in stream order.</summary>
    public IReadOnlyList<ConsentEntry> Entries => _entries;

    /// <summary>Adds a decision (stream order).</summary>
    public void Add(ConsentEntry entry) => _entries.Add(entry);

    /// <summary>The latest decision per address, purpose and channel, in effect at <paramref name="at"/> (null: now).</summary>
    public IReadOnlyList<ConsentEntry> Current(DateTimeOffset? at = null) =>
        [.. _entries.Where(e => at is null || e.At <= at)
            .GroupBy(e => (e.Address, e.Purpose, e.Channel))
            .Select(g => Latest(g)!)
            .OrderBy(e => e.Purpose, StringComparer.Ordinal).ThenBy(e => e.Channel, StringComparer.Ordinal).ThenBy(e => e.Address, StringComparer.Ordinal)];

    /// <summary>Decides whether <paramref name="address"/> (normalised) may be contacted.</summary>
    public ConsentDecision Decide(string address, string purpose, string channel, LawfulBasis basis, DateTimeOffset? at)
    {
        var deciding = Latest(_entries.Where(e =>
            e.Purpose == purpose && e.Channel == channel && (e.Address == address || e.Address == AnyAddress) && (at is null || e.At <= at)));

        if (deciding is null)
        {
            return basis == LawfulBasis.Consent
                ? new ConsentDecision { Allowed = false, Status = ConsentStatus.Unknown, Reason = $"No consent recorded for '{purpose}' on {channel}; unknown means no." }
                : new ConsentDecision { Allowed = true, Status = ConsentStatus.Unknown, Reason = $"No objection recorded; '{purpose}' rests on {Describe(basis)}." };
        }

        var when = deciding.At.ToString("u", CultureInfo.InvariantCulture);
        return deciding.Status switch
        {
            ConsentStatus.Granted => new ConsentDecision { Allowed = true, Status = deciding.Status, Reason = $"Granted {when} ({deciding.Source}).", DecidingEntry = deciding },
            ConsentStatus.Pending => new ConsentDecision { Allowed = false, Status = deciding.Status, Reason = $"Awaiting confirmation since {when} (double opt-in); pending means no.", DecidingEntry = deciding },
            ConsentStatus.Withdrawn => new ConsentDecision { Allowed = false, Status = deciding.Status, Reason = $"Withdrawn {when} ({deciding.Source}).", DecidingEntry = deciding },
            _ => new ConsentDecision { Allowed = basis != LawfulBasis.Consent, Status = ConsentStatus.Unknown, Reason = "Consent reset to unknown.", DecidingEntry = deciding },
        };
    }

    // The decision with the latest effective time wins; among equal times, the one recorded last.
    private static ConsentEntry? Latest(IEnumerable<ConsentEntry> entries)
    {
        ConsentEntry? best = null;
        foreach (var e in entries)
        {
            if (best is null || e.At >= best.At) best = e;
        }

        return best;
    }

    private static string Describe(LawfulBasis basis) => basis switch
    {
        LawfulBasis.LegitimateInterest => "legitimate interest",
        LawfulBasis.LegalObligation => "a legal obligation",
        LawfulBasis.VitalInterests => "vital interests",
        LawfulBasis.PublicTask => "a public task",
        LawfulBasis.Contract => "a contract",
        _ => "consent",
    };
}
