using MimeKit;

namespace Crm.Plugins.Email.Inbound;

/// <summary>One recipient a delivery status notification says could not be reached.</summary>
internal sealed record FailedRecipient(string Address, string? Status, string? Diagnostic)
{
    /// <summary>The reason written on the suppression list: <c>bounce: 5.1.1 smtp; 550 …</c>.</summary>
    public string Reason => ("bounce: " + string.Join(' ', new[] { Status, Diagnostic }.Where(s => !string.IsNullOrWhiteSpace(s)))).Trim();
}

/// <summary>
/// Reads bounces: a DSN (RFC 3464, <c>multipart/report; report-type=delivery-status</c>) gives the recipients whose
/// <c>Action</c> is <c>failed</c>, with their status and diagnostic; a non-standard bounce from MAILER-DAEMON or
/// postmaster gives those in <c>X-Failed-Recipients</c>. Delays and relays are bounces too, but fail nobody.
/// </summary>
internal static class BounceReport
{
    /// <summary>True when the mail is a bounce; <paramref name="failed"/> lists whom it failed (possibly nobody).</summary>
    public static bool TryRead(MimeMessage message, out IReadOnlyList<FailedRecipient> failed)
    {
        var statuses = message.Body is MultipartReport { ReportType: { } type } report && type.Equals("delivery-status", StringComparison.OrdinalIgnoreCase)
            ? DeliveryStatuses(report).ToList()
            : [];
        var fromDaemon = IsMailerDaemon(message);
        if (statuses.Count == 0 && !fromDaemon)
        {
            failed = [];
            return false;
        }

        var list = new List<FailedRecipient>();
        foreach (var status in statuses)
        {
            // The first group describes the message; each further group one recipient.
            foreach (var group in status.StatusGroups.Skip(1))
            {
                if (!string.Equals(group["Action"]?.Trim(), "failed", StringComparison.OrdinalIgnoreCase)) continue;
                var address = Address(group["Final-Recipient"]) ?? Address(group["Original-Recipient"]);
                if (address is not null) list.Add(new FailedRecipient(address, Clean(group["Status"]), Clean(group["Diagnostic-Code"])));
            }
        }

        if (list.Count == 0 && message.Headers["X-Failed-Recipients"] is { } header)
        {
            foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (Address("rfc822;" + part) is { } address) list.Add(new FailedRecipient(address, null, Clean(message.Subject)));
            }
        }

        failed = list.DistinctBy(f => f.Address).ToList();
        return true;
    }

    private static IEnumerable<MessageDeliveryStatus> DeliveryStatuses(Multipart multipart)
    {
        foreach (var part in multipart)
        {
            if (part is MessageDeliveryStatus status) yield return status;
            else if (part is Multipart inner)
            {
                foreach (var s in DeliveryStatuses(inner)) yield return s;
            }
        }
    }

    private static bool IsMailerDaemon(MimeMessage message)
    {
        var from = message.From.Mailboxes.FirstOrDefault()?.Address ?? message.Sender?.Address;
        if (from is null) return false;
        var local = from[..Math.Max(0, from.IndexOf('@'))];
        return local.Equals("mailer-daemon", StringComparison.OrdinalIgnoreCase) || local.Equals("postmaster", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The address of <c>rfc822; ann@example.com</c>, normalised; null for other address types.</summary>
    private static string? Address(string? field)
    {
        if (field is null) return null;
        var semi = field.IndexOf(';');
        var type = semi >= 0 ? field[..semi].Trim() : "rfc822";
        if (!type.Equals("rfc822", StringComparison.OrdinalIgnoreCase)) return null;
        var address = (semi >= 0 ? field[(semi + 1)..] : field).Trim().Trim('<', '>').Trim();
        return address.Contains('@') && !address.Any(char.IsWhiteSpace) ? address.ToLowerInvariant() : null;
    }

    private static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var line = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length > 400 ? line[..400] : line;
    }
}
