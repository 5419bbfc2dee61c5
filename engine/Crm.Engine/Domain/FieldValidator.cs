using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>Validates and normalises one field value by kind. Returns the stored form, or an error message.</summary>
public static class FieldValidator
{
    private static readonly HashSet<string> Currencies = BuildCurrencies();

    /// <summary>Normalises <paramref name="value"/> for a built-in field; null result with null error means "clear".</summary>
    public static (JsonNode? Value, string? Error) Normalize(FieldSpec spec, JsonNode value, string phoneRegion) =>
        Normalize(spec.Kind, value, spec.MaxLength, spec.Choices, phoneRegion);

    /// <summary>Normalises a custom field value by its definition.</summary>
    public static (JsonNode? Value, string? Error) Normalize(CustomFieldDefinition def, JsonNode value, string phoneRegion)
    {
        var kind = def.Type switch
        {
            CustomFieldType.Text => FieldKind.Text,
            CustomFieldType.Number => FieldKind.Number,
            CustomFieldType.Date => FieldKind.Date,
            CustomFieldType.Bool => FieldKind.Bool,
            CustomFieldType.Choice => FieldKind.Choice,
            CustomFieldType.MultiChoice => FieldKind.MultiChoice,
            CustomFieldType.Email => FieldKind.Email,
            CustomFieldType.Url => FieldKind.Url,
            _ => FieldKind.Text,
        };
        return Normalize(kind, value, def.MaxLength ?? 1_000, def.Choices, phoneRegion);
    }

    private static (JsonNode?, string?) Normalize(FieldKind kind, JsonNode value, int maxLength, IReadOnlyList<string> choices, string phoneRegion)
    {
        switch (kind)
        {
            case FieldKind.Text or FieldKind.LongText:
            {
                if (!TryString(value, out var s)) return (null, "must be a string");
                s = s.Trim();
                if (s.Length == 0) return (null, null);
                return s.Length > maxLength ? (null, $"must be at most {maxLength} characters (got {s.Length})") : (JsonValue.Create(s), null);
            }
            case FieldKind.Number:
                return TryDecimal(value, out var d) ? (JsonValue.Create(d), null) : (null, "must be a number");
            case FieldKind.Percent:
                if (!TryDecimal(value, out var p)) return (null, "must be a number");
                return p is < 0 or > 100 ? (null, "must be between 0 and 100") : (JsonValue.Create(p), null);
            case FieldKind.Integer:
                return TryDecimal(value, out var i) && decimal.Truncate(i) == i && i is >= long.MinValue and <= long.MaxValue
                    ? (JsonValue.Create((long)i), null)
                    : (null, "must be a whole number");
            case FieldKind.Bool:
                return value.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? (JsonValue.Create(value.GetValue<bool>()), null)
                    : (null, "must be true or false");
            case FieldKind.Date:
            {
                if (!TryString(value, out var s)) return (null, "must be a date (yyyy-MM-dd)");
                return DateOnly.TryParseExact(s.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                    ? (JsonValue.Create(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), null)
                    : (null, "must be a date (yyyy-MM-dd)");
            }
            case FieldKind.DateTime:
            {
                if (!TryString(value, out var s)) return (null, "must be an ISO 8601 date and time");
                return DateTimeOffset.TryParse(s.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dt)
                    ? (JsonValue.Create(FormatTime(dt)), null)
                    : (null, "must be an ISO 8601 date and time");
            }
            case FieldKind.Choice:
            {
                if (!TryString(value, out var s)) return (null, "must be a string");
                var match = choices.FirstOrDefault(c => string.Equals(c, s.Trim(), StringComparison.OrdinalIgnoreCase));
                return match is null ? (null, $"must be one of: {string.Join(", ", choices)}") : (JsonValue.Create(match), null);
            }
            case FieldKind.MultiChoice:
            {
                if (value is not JsonArray array) return (null, "must be an array");
                var result = new JsonArray();
                var seen = new HashSet<string>();
                foreach (var item in array)
                {
                    if (item is null || !TryString(item, out var s)) return (null, "must be an array of strings");
                    var match = choices.FirstOrDefault(c => string.Equals(c, s.Trim(), StringComparison.OrdinalIgnoreCase));
                    if (match is null) return (null, $"'{s}' is not one of: {string.Join(", ", choices)}");
                    if (seen.Add(match)) result.Add(match);
                }

                return (result, null);
            }
            case FieldKind.Email:
            {
                if (!TryString(value, out var s)) return (null, "must be a string");
                if (s.Trim().Length == 0) return (null, null);
                var email = ContactPoints.NormalizeEmail(s);
                return email is null ? (null, $"'{Clip(s)}' is not a valid email address") : (JsonValue.Create(email), null);
            }
            case FieldKind.Phone:
            {
                if (!TryString(value, out var s)) return (null, "must be a string");
                if (s.Trim().Length == 0) return (null, null);
                var phone = ContactPoints.NormalizePhone(s, phoneRegion);
                return phone is null ? (null, $"'{Clip(s)}' is not a valid phone number") : (JsonValue.Create(phone), null);
            }
            case FieldKind.EmailList or FieldKind.PhoneList:
            {
                if (value is not JsonArray array) return (null, "must be an array of strings");
                if (array.Count > 20) return (null, "must hold at most 20 entries");
                var result = new JsonArray();
                var seen = new HashSet<string>();
                for (var n = 0; n < array.Count; n++)
                {
                    if (array[n] is null) return (null, $"entry {n} must be a string");
                    var (one, error) = Normalize(kind == FieldKind.EmailList ? FieldKind.Email : FieldKind.Phone, array[n]!, maxLength, choices, phoneRegion);
                    if (error is not null) return (null, $"entry {n}: {error}");
                    if (one is not null && seen.Add(one.GetValue<string>())) result.Add(one);
                }

                return (result, null);
            }
            case FieldKind.Filter:
            {
                if (!TryString(value, out var s)) return (null, "must be a string in the filter language");
                s = s.Trim();
                if (s.Length == 0) return (null, null);
                if (s.Length > maxLength) return (null, $"must be at most {maxLength} characters (got {s.Length})");
                try
                {
                    // Relative times are counted from the moment the filter runs; any instant checks the syntax.
                    Filtering.FilterLanguage.Parse(s, DateTimeOffset.UnixEpoch);
                    return (JsonValue.Create(s), null);
                }
                catch (Filtering.FilterSyntaxException ex)
                {
                    return (null, "is not a valid filter: " + ex.Message);
                }
            }
            case FieldKind.Url:
            {
                if (!TryString(value, out var s)) return (null, "must be a string");
                s = s.Trim();
                if (s.Length == 0) return (null, null);
                return s.Length <= 2_000 && Uri.TryCreate(s, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                    ? (JsonValue.Create(s), null)
                    : (null, "must be an absolute http or https URL");
            }
            case FieldKind.Reference:
            {
                if (!TryString(value, out var s)) return (null, "must be a record id (string)");
                return RecordIds.IsValid(s.Trim()) ? (JsonValue.Create(s.Trim()), null) : (null, "is not a valid record id");
            }
            case FieldKind.Tags:
            {
                if (value is not JsonArray array) return (null, "must be an array of strings");
                if (array.Count > 100) return (null, "must hold at most 100 entries");
                var result = new JsonArray();
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var item in array)
                {
                    if (item is null || !TryString(item, out var s)) return (null, "must be an array of strings");
                    s = s.Trim();
                    if (s.Length is 0 or > 100) return (null, "entries must be 1-100 characters");
                    if (seen.Add(s)) result.Add(s);
                }

                return (result, null);
            }
            case FieldKind.Currency:
            {
                if (!TryString(value, out var s)) return (null, "must be a string");
                var code = s.Trim().ToUpperInvariant();
                return Currencies.Contains(code) ? (JsonValue.Create(code), null) : (null, $"'{Clip(s)}' is not an ISO 4217 currency code");
            }
            default:
                return (null, "is not supported");
        }
    }

    /// <summary>True when the code is an ISO 4217 currency code known to the runtime.</summary>
    public static bool IsCurrency(string code) => Currencies.Contains(code);

    /// <summary>The stored form of a time: UTC, ISO 8601 with 7 fractional digits.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static bool TryString(JsonNode node, out string value)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            value = v.GetValue<string>();
            return true;
        }

        value = "";
        return false;
    }

    private static bool TryDecimal(JsonNode node, out decimal value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value);
    }

    private static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";

    // ISO 4217 active codes (2024 list).
    private static HashSet<string> BuildCurrencies() =>
        new(("AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL").Split(' '), StringComparer.Ordinal);
}
