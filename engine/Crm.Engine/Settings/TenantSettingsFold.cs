using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Crm.Engine.Domain;

namespace Crm.Engine.Settings;

/// <summary>Tenant settings as a fold of the settings stream, at any past time.</summary>
public static class TenantSettingsFold
{
    /// <summary>JSON options for settings payloads: camelCase, enums as strings.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Folds settings events up to and including <paramref name="asOf"/> (all when null).</summary>
    public static TenantSettings Fold(IEnumerable<CrmEvent> events, DateTimeOffset? asOf = null)
    {
        var settings = new TenantSettings();
        foreach (var e in events)
        {
            if (asOf is not null && e.Time > asOf) break;
            settings = Apply(settings, e);
        }

        return settings;
    }

    /// <summary>Applies one settings event.</summary>
    public static TenantSettings Apply(TenantSettings s, CrmEvent e)
    {
        var payload = EventUpcaster.Payload(e);
        s = e.Type switch
        {
            EventTypes.CustomFieldDefined => Define(s, payload["field"].Deserialize<CustomFieldDefinition>(Json)!),
            EventTypes.CustomFieldRemoved => s with
            {
                CustomFields = [.. s.CustomFields.Where(f => !(f.RecordType == payload["recordType"]!.GetValue<string>() && f.Name == payload["name"]!.GetValue<string>()))],
            },
            EventTypes.PipelineDefined => DefinePipeline(s, payload["pipeline"].Deserialize<Pipeline>(Json)!),
            EventTypes.GeneralSettingsChanged => ApplyGeneral(s, payload["change"].Deserialize<GeneralSettingsChange>(Json)!),
            EventTypes.SlaTargetDefined => DefineSlaTarget(s, payload["target"].Deserialize<SlaTarget>(Json)!),
            EventTypes.ExchangeRateSet => SetRate(s, payload["rate"].Deserialize<ExchangeRate>(Json)!),
            EventTypes.ExchangeRateRemoved => s with
            {
                ExchangeRates = [.. s.ExchangeRates.Where(r => !(r.Currency == payload["currency"]!.GetValue<string>() && r.From == DateOnly.Parse(payload["from"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)))],
            },
            EventTypes.SlaTargetRemoved => s with
            {
                SlaTargets = [.. s.SlaTargets.Where(t => !(t.QueueId == payload["queueId"]!.GetValue<string>() && t.Priority == payload["priority"]?.GetValue<string>()))],
            },
            _ => s,
        };
        return s with { Version = e.Version };
    }

    private static TenantSettings Define(TenantSettings s, CustomFieldDefinition field) => s with
    {
        CustomFields = [.. s.CustomFields.Where(f => !(f.RecordType == field.RecordType && f.Name == field.Name)), field],
    };

    private static TenantSettings DefinePipeline(TenantSettings s, Pipeline pipeline)
    {
        var list = s.Pipelines.ToList();
        var index = list.FindIndex(p => p.Id == pipeline.Id);
        if (index >= 0) list[index] = pipeline;
        else list.Add(pipeline);
        return s with { Pipelines = list };
    }

    private static TenantSettings DefineSlaTarget(TenantSettings s, SlaTarget target) => s with
    {
        SlaTargets = [.. s.SlaTargets.Where(t => !(t.QueueId == target.QueueId && t.Priority == target.Priority)), target],
    };

    private static TenantSettings SetRate(TenantSettings s, ExchangeRate rate) => s with
    {
        ExchangeRates = [.. s.ExchangeRates.Where(r => !(r.Currency == rate.Currency && r.From == rate.From)).Append(rate)
            .OrderBy(r => r.Currency, StringComparer.Ordinal).ThenBy(r => r.From)],
    };

    private static TenantSettings ApplyGeneral(TenantSettings s, GeneralSettingsChange c) => s with
    {
        TimeZone = c.TimeZone ?? s.TimeZone,
        BaseCurrency = c.BaseCurrency ?? s.BaseCurrency,
        DefaultPhoneRegion = c.DefaultPhoneRegion ?? s.DefaultPhoneRegion,
        BusinessHours = c.BusinessHours ?? s.BusinessHours,
        ConsentPurposes = c.ConsentPurposes ?? s.ConsentPurposes,
        Holidays = c.Holidays is { } holidays ? [.. holidays.Distinct().Order()] : s.Holidays,
        RequiredFields = c.RequiredFields is { } required ? Copy(required) : s.RequiredFields,
        FiscalYearStartMonth = c.FiscalYearStartMonth ?? s.FiscalYearStartMonth,
    };

    // Concrete dictionaries and lists, so the settings serialise the same in every grain call.
    private static Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>> Copy(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>> rules) =>
        rules.Where(r => r.Value is { Count: > 0 }).ToDictionary(
            r => r.Key,
            r => (IReadOnlyDictionary<string, IReadOnlyList<string>>)r.Value.Where(s => s.Value is { Count: > 0 })
                .ToDictionary(s => s.Key, s => (IReadOnlyList<string>)[.. s.Value.Distinct()], StringComparer.Ordinal),
            StringComparer.Ordinal);

    /// <summary>A settings event payload: <c>{ "name": value }</c> serialised with <see cref="Json"/>.</summary>
    public static string Payload<T>(string name, T value) =>
        new JsonObject { [name] = JsonSerializer.SerializeToNode(value, Json) }.ToJsonString();
}
