using System.Net.Mail;
using PhoneNumbers;

namespace Crm.Engine.Domain;

/// <summary>
/// The one place emails and phone numbers are normalised: validation, search, uniqueness and import all use it.
/// Emails are trimmed and lower-cased; phones become E.164, read in the tenant's default region when written without a country code.
/// </summary>
public static class ContactPoints
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    // The last number this thread normalised; parsed numbers are not changed after parsing, so sharing one is safe.
    [ThreadStatic]
    private static (string E164, PhoneNumber Number)? _lastParsed;

    /// <summary>The normalised email, or null when <paramref name="raw"/> is not a valid address.</summary>
    public static string? NormalizeEmail(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var email = raw.Trim().ToLowerInvariant();
        if (email.Length > 254 || email.Contains(' ') || email.Count(c => c == '@') != 1) return null;
        var at = email.IndexOf('@');
        if (at < 1 || at == email.Length - 1) return null;
        var domain = email[(at + 1)..];
        if (!domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains("..")) return null;
        if (!MailAddress.TryCreate(email, out var parsed) || parsed.Address != email) return null;
        return email;
    }

    /// <summary>The phone number in E.164 (e.g. <c>+14155550123</c>), or null when it is not a valid number.</summary>
    public static string? NormalizePhone(string? raw, string defaultRegion)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        try
        {
            var number = Phones.Parse(raw.Trim(), string.IsNullOrEmpty(defaultRegion) ? "US" : defaultRegion.ToUpperInvariant());
            if (!Phones.IsValidNumber(number)) return null;
            var e164 = Phones.Format(number, PhoneNumberFormat.E164);
            _lastParsed = (e164, number);
            return e164;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>Words a phone is found by: its E.164 digits and its national number.</summary>
    public static IEnumerable<string> PhoneSearchTerms(string e164)
    {
        var digits = e164.TrimStart('+');
        yield return digits;
        // A record's search text is built right after its phone was normalised: the number parsed then is reused.
        var parsed = _lastParsed is var (lastE164, lastNumber) && lastE164 == e164 ? lastNumber : null;
        try
        {
            parsed ??= Phones.Parse(e164, null);
        }
        catch (NumberParseException)
        {
        }

        if (parsed is not null)
        {
            var national = parsed.NationalNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (national != digits) yield return national;
            // As people dial it at home, trunk prefix included (UK 020 7946 0958 → 02079460958). North American
            // numbers are dialled at home as their national number, so formatting them would find nothing new.
            if (parsed.CountryCode != 1)
            {
                var dialled = new string([.. Phones.Format(parsed, PhoneNumberFormat.NATIONAL).Where(char.IsAsciiDigit)]);
                if (dialled != national && dialled != digits) yield return dialled;
            }
        }
    }

    /// <summary>An address as a channel knows it: emails lower-case, phone channels E.164, others trimmed; null when invalid.</summary>
    public static string? NormalizeAddress(string channel, string address, string defaultRegion) => channel switch
    {
        Channels.Email => NormalizeEmail(address),
        Channels.Sms or Channels.Phone or "whatsapp" => NormalizePhone(address, defaultRegion),
        _ => string.IsNullOrWhiteSpace(address) ? null : address.Trim(),
    };
}
