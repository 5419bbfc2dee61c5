using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>
/// Required fields per lifecycle stage (<see cref="TenantSettings.RequiredFields"/>): a record that enters a stage, or
/// is changed while in it, must have every field the tenant requires there.
/// </summary>
public static class StageRequirements
{
    private const int MaxFieldsPerStage = 50;

    /// <summary>The field that holds a record type's lifecycle stage, or null for types without one.</summary>
    public static string? StageField(string type) => type switch
    {
        RecordTypes.Contact => "lifecycleStage",
        RecordTypes.Deal => "stage",
        RecordTypes.Case or RecordTypes.Task => "status",
        _ => null,
    };

    /// <summary>
    /// Adds an error for each field the record's stage requires and <paramref name="next"/> lacks, when the write
    /// creates the record, moves it into the stage, or touches one of those fields. A record that was in the stage
    /// before the tenant required a field may still be changed otherwise (as with required custom fields).
    /// </summary>
    public static void Check(string type, JsonObject input, JsonObject current, JsonObject next, TenantSettings settings, List<FieldError> errors, bool isCreate)
    {
        if (StageField(type) is not { } stageField || next[stageField] is not JsonValue stageValue) return;
        if (!settings.RequiredFields.TryGetValue(type, out var byStage)) return;
        var stage = stageValue.GetValue<string>();
        if (!byStage.TryGetValue(stage, out var fields)) return;
        var entering = isCreate || !JsonNode.DeepEquals(current[stageField], next[stageField]);
        foreach (var field in fields)
        {
            if (!entering && !Touches(input, field)) continue;
            if (errors.Any(e => e.Field == field)) continue;
            var value = FieldPaths.Get(next, field);
            if (value is null || value is JsonArray { Count: 0 } || (value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length == 0))
            {
                errors.Add(new FieldError(field, $"is required while a {type} is in stage '{stage}'"));
            }
        }
    }

    private static bool Touches(JsonObject input, string field)
    {
        if (field.StartsWith("custom.", StringComparison.Ordinal))
        {
            return input["custom"] is not JsonObject custom || custom.ContainsKey(field["custom.".Length..]);
        }

        // A contact's primary email and phone are the first of their lists: writing either writes both.
        return input.ContainsKey(field) || field switch
        {
            "email" => input.ContainsKey("emails"),
            "emails" => input.ContainsKey("email"),
            "phone" => input.ContainsKey("phones"),
            "phones" => input.ContainsKey("phone"),
            _ => false,
        };
    }

    /// <summary>Errors of a new set of rules (named <c>requiredFields.{type}.{stage}</c>): known types, stages and fields only.</summary>
    public static IReadOnlyList<FieldError> Validate(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>> rules, TenantSettings settings)
    {
        var errors = new List<FieldError>();
        foreach (var (type, byStage) in rules)
        {
            if (StageField(type) is not { } stageField)
            {
                errors.Add(new FieldError($"requiredFields.{type}", "must be one of: contact, deal, case, task"));
                continue;
            }

            var stages = type == RecordTypes.Deal
                ? [.. settings.Pipelines.SelectMany(p => p.Stages).Select(s => s.Id)]
                : RecordSchema.For(type).Find(stageField)!.Choices;
            foreach (var (stage, fields) in byStage ?? new Dictionary<string, IReadOnlyList<string>>())
            {
                var path = $"requiredFields.{type}.{stage}";
                if (!stages.Contains(stage)) errors.Add(new FieldError(path, $"'{stage}' is not a {stageField} of a {type}; one of: {string.Join(", ", stages.Distinct())}"));
                if (fields is null || fields.Count > MaxFieldsPerStage)
                {
                    errors.Add(new FieldError(path, $"must be a list of at most {MaxFieldsPerStage} field names"));
                    continue;
                }

                foreach (var field in fields)
                {
                    if (!IsField(type, field, settings)) errors.Add(new FieldError(path, $"'{field}' is not a field of a {type}"));
                }
            }
        }

        return errors;
    }

    private static bool IsField(string type, string? field, TenantSettings settings)
    {
        if (string.IsNullOrEmpty(field)) return false;
        if (field.StartsWith("custom.", StringComparison.Ordinal))
        {
            return settings.CustomFieldsOf(type).Any(f => f.Name == field["custom.".Length..]);
        }

        return RecordSchema.For(type).Find(field) is not null;
    }
}
