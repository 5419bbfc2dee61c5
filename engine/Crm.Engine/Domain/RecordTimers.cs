using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Crm.Engine.Domain;

/// <summary>What a durable timer on a record may look like.</summary>
internal static partial class RecordTimers
{
    /// <summary>Largest timer payload, in characters of JSON.</summary>
    public const int MaxPayloadLength = 16_384;

    /// <summary>Pending timers one record may hold.</summary>
    public const int MaxPerRecord = 100;

    /// <summary>Timer names the engine keeps for itself (a case's SLA clocks); callers may not set or cancel them.</summary>
    public const string ReservedPrefix = "sla.";

    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")]
    private static partial Regex NamePattern();

    /// <summary>True for a name the engine keeps for itself.</summary>
    public static bool IsReserved(string? name) => name is not null && name.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Refuses a name the engine keeps for itself (cancelling an SLA timer, say).</summary>
    /// <exception cref="ValidationException">The name is reserved.</exception>
    public static void EnsureNotReserved(string? name)
    {
        if (IsReserved(name)) throw new ValidationException("name", ReservedMessage);
    }

    private const string ReservedMessage = $"names starting with '{ReservedPrefix}' are reserved for the engine's SLA clocks";

    /// <summary>Checks a timer and returns its payload as a JSON object (null when it has none).</summary>
    /// <exception cref="ValidationException">The name, due time or payload is invalid.</exception>
    public static JsonObject? Validate(RecordTimer timer)
    {
        var errors = new List<FieldError>();
        if (timer.Name is null || !NamePattern().IsMatch(timer.Name))
        {
            errors.Add(new FieldError("name", "must be 1 to 100 letters, digits or . _ : - (starting with a letter or digit)"));
        }
        else if (IsReserved(timer.Name))
        {
            errors.Add(new FieldError("name", ReservedMessage));
        }

        if (timer.DueAt < Earliest || timer.DueAt > Latest)
        {
            errors.Add(new FieldError("dueAt", "must be between 2000 and 2200"));
        }

        JsonObject? payload = null;
        if (timer.PayloadJson is { } json)
        {
            if (json.Length > MaxPayloadLength)
            {
                errors.Add(new FieldError("payload", $"must be at most {MaxPayloadLength} characters of JSON"));
            }
            else
            {
                try
                {
                    payload = JsonNode.Parse(json) as JsonObject;
                    if (payload is null) errors.Add(new FieldError("payload", "must be a JSON object"));
                }
                catch (JsonException ex)
                {
                    errors.Add(new FieldError("payload", "is not valid JSON: " + ex.Message));
                }
            }
        }

        if (errors.Count > 0) throw new ValidationException(errors);
        return payload;
    }
}
