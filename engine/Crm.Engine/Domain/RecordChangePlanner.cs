using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>The validated outcome of a create or patch: the next stored fields and the changed paths.</summary>
public sealed record RecordChangePlan(
    JsonObject Next,
    IReadOnlyDictionary<string, JsonNode?> Changes,
    IReadOnlyDictionary<string, JsonNode?> Previous)
{
    /// <summary>True when the command changes nothing.</summary>
    public bool IsEmpty => Changes.Count == 0;
}

/// <summary>
/// Validates a create or JSON merge patch against the record type's built-in schema and the tenant's custom fields,
/// normalises values, applies type rules (primary email/phone, pipeline stages, defaults) and reports every bad field at once.
/// </summary>
public static class RecordChangePlanner
{
    /// <summary>Largest accepted command, in characters of JSON.</summary>
    public const int MaxCommandLength = 1_000_000;

    private static readonly IReadOnlyDictionary<string, JsonNode?> Empty = new Dictionary<string, JsonNode?>();

    /// <summary>Plans the change, or throws <see cref="ValidationException"/> naming every bad field.</summary>
    public static RecordChangePlan Plan(string type, JsonObject current, JsonObject input, TenantSettings settings, bool isCreate, DateTimeOffset now)
    {
        var schema = RecordSchema.For(type);
        var errors = new List<FieldError>();
        var next = (JsonObject)current.DeepClone();
        var region = settings.DefaultPhoneRegion;

        foreach (var (key, value) in input)
        {
            if (key == "custom")
            {
                ApplyCustom(type, next, value, settings, errors, region);
                continue;
            }

            var spec = schema.Find(key);
            if (spec is null)
            {
                errors.Add(new FieldError(key, schema.Derived.Contains(key) ? "is read-only: the engine keeps it" : $"is not a field of a {type}"));
                continue;
            }

            if (value is null)
            {
                next.Remove(key);
                continue;
            }

            var (normalized, error) = FieldValidator.Normalize(spec, value, region);
            if (error is not null) errors.Add(new FieldError(key, error));
            else if (normalized is null) next.Remove(key);
            else next[key] = normalized;
        }

        if (type == RecordTypes.Contact)
        {
            MergePrimary(input, current, next, "email", "emails");
            MergePrimary(input, current, next, "phone", "phones");
        }

        if (isCreate) ApplyDefaults(type, next, settings, now);
        if (type == RecordTypes.Deal) CheckDeal(input, current, next, settings, errors, isCreate);
        CheckRequired(schema, type, input, next, settings, errors, isCreate);
        StageRequirements.Check(type, input, current, next, settings, errors, isCreate);

        if (errors.Count > 0) throw new ValidationException(errors);
        // A create's event carries the whole record; only updates need the changed paths.
        return isCreate ? new RecordChangePlan(next, Empty, Empty) : Diff(current, next);
    }

    private static void ApplyCustom(string type, JsonObject next, JsonNode? value, TenantSettings settings, List<FieldError> errors, string region)
    {
        if (value is null)
        {
            next.Remove("custom");
            return;
        }

        if (value is not JsonObject custom)
        {
            errors.Add(new FieldError("custom", "must be an object of custom field values"));
            return;
        }

        foreach (var (name, raw) in custom)
        {
            var def = settings.CustomFieldsOf(type).FirstOrDefault(f => f.Name == name);
            if (def is null)
            {
                errors.Add(new FieldError("custom." + name, $"is not a custom field of {type}"));
                continue;
            }

            if (raw is null)
            {
                FieldPaths.Set(next, "custom." + name, null);
                continue;
            }

            var (normalized, error) = FieldValidator.Normalize(def, raw, region);
            if (error is not null) errors.Add(new FieldError("custom." + name, error));
            else FieldPaths.Set(next, "custom." + name, normalized);
        }
    }

    // A contact's `email` is the first of `emails` (same for phones). Writing `email` replaces the primary and keeps the others.
    private static void MergePrimary(JsonObject input, JsonObject current, JsonObject next, string primary, string list)
    {
        var hasPrimary = input.ContainsKey(primary);
        var hasList = input.ContainsKey(list);
        if (!hasPrimary && !hasList) return;

        var values = new List<string>();
        if (hasList) values.AddRange((next[list] as JsonArray)?.Select(n => n!.GetValue<string>()) ?? []);
        else values.AddRange(((current[list] as JsonArray)?.Select(n => n!.GetValue<string>()) ?? []).Skip(hasPrimary ? 1 : 0));

        if (hasPrimary && next[primary] is JsonValue p)
        {
            var value = p.GetValue<string>();
            values.Remove(value);
            values.Insert(0, value);
        }

        if (values.Count == 0)
        {
            next.Remove(primary);
            next.Remove(list);
        }
        else
        {
            next[primary] = values[0];
            next[list] = new JsonArray([.. values.Distinct().Select(v => (JsonNode)JsonValue.Create(v))]);
        }
    }

    private static void ApplyDefaults(string type, JsonObject next, TenantSettings settings, DateTimeOffset now)
    {
        void Default(string field, JsonNode value)
        {
            if (next[field] is null) next[field] = value;
        }

        switch (type)
        {
            case RecordTypes.Contact: Default("lifecycleStage", "lead"); break;
            case RecordTypes.Case: Default("status", "new"); Default("priority", "normal"); break;
            case RecordTypes.Task: Default("status", "open"); Default("priority", "normal"); break;
            case RecordTypes.Interaction: Default("occurredAt", FieldValidator.FormatTime(now)); break;
            case RecordTypes.User: Default("role", "agent"); Default("active", true); break;
            case RecordTypes.Deal:
                if (settings.Pipelines.Count > 0) Default("pipeline", settings.Pipelines[0].Id);
                break;
        }
    }

    private static void CheckDeal(JsonObject input, JsonObject current, JsonObject next, TenantSettings settings, List<FieldError> errors, bool isCreate)
    {
        var pipelineId = next["pipeline"]?.GetValue<string>();
        if (pipelineId is null)
        {
            errors.Add(new FieldError("pipeline", "is required"));
            return;
        }

        var pipeline = settings.FindPipeline(pipelineId);
        if (pipeline is null)
        {
            errors.Add(new FieldError("pipeline", $"'{pipelineId}' is not a pipeline of this tenant"));
            return;
        }

        if (isCreate && next["stage"] is null && pipeline.Stages.Count > 0) next["stage"] = pipeline.Stages[0].Id;
        var stageId = next["stage"]?.GetValue<string>();
        var stage = pipeline.Stages.FirstOrDefault(s => s.Id == stageId);
        if (stage is null)
        {
            errors.Add(new FieldError("stage", stageId is null ? "is required" : $"'{stageId}' is not a stage of pipeline '{pipeline.Id}'"));
            return;
        }

        var stageChanged = current["stage"]?.GetValue<string>() != stageId;
        if (stageChanged && !input.ContainsKey("probability")) next["probability"] = stage.Probability;
        if (next["amount"] is JsonValue amount)
        {
            if (amount.GetValue<decimal>() < 0) errors.Add(new FieldError("amount", "must not be negative"));
            if (next["currency"] is null) next["currency"] = settings.BaseCurrency;
        }
    }

    private static void CheckRequired(RecordSchema schema, string type, JsonObject input, JsonObject next, TenantSettings settings, List<FieldError> errors, bool isCreate)
    {
        foreach (var group in schema.RequireOneOf)
        {
            // A field that is already reported as invalid needs no second "required" message.
            if (group.Any(f => next[f] is not null || errors.Any(e => e.Field == f))) continue;
            errors.Add(new FieldError(group[0], group.Length == 1
                ? "is required"
                : $"a {type} needs at least one of: {string.Join(", ", group)}"));
        }

        // A required custom field added later must not block updates of older records that never had it.
        var touched = input["custom"] as JsonObject;
        foreach (var def in settings.CustomFieldsOf(type).Where(d => d.Required && (isCreate || touched?.ContainsKey(d.Name) == true)))
        {
            if (FieldPaths.Get(next, "custom." + def.Name) is null) errors.Add(new FieldError("custom." + def.Name, "is required"));
        }
    }

    private static RecordChangePlan Diff(JsonObject current, JsonObject next)
    {
        var changes = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var previous = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);

        void Compare(string path, JsonNode? before, JsonNode? after)
        {
            if (JsonNode.DeepEquals(before, after)) return;
            changes[path] = after?.DeepClone();
            previous[path] = before?.DeepClone();
        }

        foreach (var key in current.Select(p => p.Key).Union(next.Select(p => p.Key)).ToList())
        {
            if (key == "custom")
            {
                var before = current["custom"] as JsonObject ?? [];
                var after = next["custom"] as JsonObject ?? [];
                foreach (var name in before.Select(p => p.Key).Union(after.Select(p => p.Key)).ToList())
                {
                    Compare("custom." + name, before[name], after[name]);
                }

                continue;
            }

            Compare(key, current[key], next[key]);
        }

        return new RecordChangePlan(next, changes, previous);
    }
}
