using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>
/// Brings events written with an older payload schema up to the current one when they are read.
/// Stored events are never rewritten: the log stays exactly as it was committed.
/// </summary>
public static class EventUpcaster
{
    private static readonly Dictionary<(string Type, int From), Func<JsonObject, JsonObject>> Steps = new()
    {
        // v1 consent knew only email opt-in/opt-out: { purpose, address, granted, source, proof, at }.
        [(EventTypes.ConsentRecorded, 1)] = v1 => new JsonObject
        {
            ["purpose"] = v1["purpose"]?.DeepClone(),
            ["channel"] = Channels.Email,
            ["address"] = v1["address"]?.DeepClone() ?? "*",
            ["status"] = v1["granted"]?.GetValue<bool>() == true ? nameof(ConsentStatus.Granted) : nameof(ConsentStatus.Withdrawn),
            ["lawfulBasis"] = nameof(LawfulBasis.Consent),
            ["source"] = v1["source"]?.DeepClone() ?? "unknown",
            ["proof"] = v1["proof"]?.DeepClone(),
            ["at"] = v1["at"]?.DeepClone(),
        },
    };

    /// <summary>The event's payload at the current schema version of its type.</summary>
    public static JsonObject Payload(CrmEvent e)
    {
        var payload = JsonNode.Parse(e.PayloadJson) as JsonObject ?? new JsonObject();
        var target = EventTypes.CurrentSchemaVersion(e.Type);
        for (var version = e.SchemaVersion; version < target; version++)
        {
            if (!Steps.TryGetValue((e.Type, version), out var step))
            {
                throw new InvalidOperationException($"No upcaster from {e.Type} v{version} to v{version + 1}.");
            }

            payload = step(payload);
        }

        return payload;
    }
}
