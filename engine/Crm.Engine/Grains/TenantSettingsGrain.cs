using System.Text.RegularExpressions;
using Crm.Engine.Domain;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using PhoneNumbers;

namespace Crm.Engine.Grains;

/// <summary>The single writer of a tenant's settings stream; publishes each change to the silo's settings cache.</summary>
internal sealed partial class TenantSettingsGrain(IEventStore store, TenantSettingsProvider provider, TimeProvider time)
    : Grain, ITenantSettingsGrain
{
    private const int MaxHolidays = 1000;
    private const int MaxSlaTargets = 500;
    private const int MaxExchangeRates = 10_000;

    /// <summary>Longest SLA clock: a year of business minutes around the clock.</summary>
    private const int MaxSlaMinutes = 525_600;

    private static readonly HashSet<string> Regions = [.. PhoneNumberUtil.GetInstance().GetSupportedRegions()];
    private string _tenant = "";
    private List<CrmEvent> _events = [];
    private TenantSettings _settings = new();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _tenant = this.GetPrimaryKeyString();
        await ReloadAsync(cancellationToken);
    }

    private async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        _events = [.. await store.ReadStreamAsync(_tenant, StreamIds.Settings, 1, int.MaxValue, cancellationToken)];
        _settings = TenantSettingsFold.Fold(_events);
        provider.Publish(_tenant, [.. _events]);
    }

    public Task<TenantSettings> GetAsync(DateTimeOffset? asOf) =>
        Task.FromResult(asOf is null ? _settings : TenantSettingsFold.Fold(_events, asOf));

    public Task<TenantSettings> DefineCustomFieldAsync(CustomFieldDefinition field, WriteOptions options)
    {
        var errors = new List<FieldError>();
        if (!RecordTypes.IsKnown(field.RecordType)) errors.Add(new FieldError("recordType", $"must be one of: {string.Join(", ", RecordTypes.All)}"));
        else if (RecordSchema.For(field.RecordType).Find(field.Name) is not null) errors.Add(new FieldError("name", $"'{field.Name}' is a built-in field of {field.RecordType}"));
        if (field.Name is null || !FieldName().IsMatch(field.Name)) errors.Add(new FieldError("name", "must start with a lower-case letter and hold at most 64 letters, digits or '_'"));
        if (field.Label is { Length: > 200 }) errors.Add(new FieldError("label", "must be at most 200 characters"));
        if (!Enum.IsDefined(field.Type)) errors.Add(new FieldError("type", "is not a custom field type"));
        if (field.Type is CustomFieldType.Choice or CustomFieldType.MultiChoice)
        {
            if (field.Choices.Count == 0) errors.Add(new FieldError("choices", "a choice field needs at least one choice"));
            if (field.Choices.Any(string.IsNullOrWhiteSpace) || field.Choices.Distinct(StringComparer.OrdinalIgnoreCase).Count() != field.Choices.Count)
            {
                errors.Add(new FieldError("choices", "choices must be non-empty and distinct"));
            }
        }

        if (field.MaxLength is < 1 or > 100_000) errors.Add(new FieldError("maxLength", "must be between 1 and 100000"));
        if (errors.Count > 0) throw new ValidationException(errors);
        return AppendAsync(EventTypes.CustomFieldDefined, TenantSettingsFold.Payload("field", field), options);
    }

    public Task<TenantSettings> RemoveCustomFieldAsync(string recordType, string name, WriteOptions options)
    {
        if (!_settings.CustomFields.Any(f => f.RecordType == recordType && f.Name == name))
        {
            throw new ValidationException("name", $"'{name}' is not a custom field of {recordType}");
        }

        return AppendAsync(EventTypes.CustomFieldRemoved,
            new System.Text.Json.Nodes.JsonObject { ["recordType"] = recordType, ["name"] = name }.ToJsonString(), options);
    }

    public Task<TenantSettings> DefinePipelineAsync(Pipeline pipeline, WriteOptions options)
    {
        var errors = new List<FieldError>();
        if (!RecordIds.IsValid(pipeline.Id)) errors.Add(new FieldError("id", "is not a valid id"));
        if (string.IsNullOrWhiteSpace(pipeline.Name)) errors.Add(new FieldError("name", "is required"));
        if (pipeline.Stages is null || pipeline.Stages.Count == 0) errors.Add(new FieldError("stages", "a pipeline needs at least one stage"));
        else
        {
            for (var i = 0; i < pipeline.Stages.Count; i++)
            {
                var stage = pipeline.Stages[i];
                if (!RecordIds.IsValid(stage.Id)) errors.Add(new FieldError($"stages[{i}].id", "is not a valid id"));
                if (string.IsNullOrWhiteSpace(stage.Name)) errors.Add(new FieldError($"stages[{i}].name", "is required"));
                if (stage.Probability is < 0 or > 100) errors.Add(new FieldError($"stages[{i}].probability", "must be between 0 and 100"));
                if (stage.IsWon && stage.IsLost) errors.Add(new FieldError($"stages[{i}]", "cannot be both won and lost"));
                if (stage.ApprovalMinAmount is { } min)
                {
                    if (!stage.RequiresApproval) errors.Add(new FieldError($"stages[{i}].approvalMinAmount", "applies only to a stage that requires approval"));
                    if (min < 0) errors.Add(new FieldError($"stages[{i}].approvalMinAmount", "must not be negative"));
                }
            }

            if (pipeline.Stages.Select(s => s.Id).Distinct().Count() != pipeline.Stages.Count) errors.Add(new FieldError("stages", "stage ids must be distinct"));
        }

        if (errors.Count > 0) throw new ValidationException(errors);
        return AppendAsync(EventTypes.PipelineDefined, TenantSettingsFold.Payload("pipeline", pipeline), options);
    }

    public Task<TenantSettings> ChangeGeneralAsync(GeneralSettingsChange change, WriteOptions options)
    {
        var errors = new List<FieldError>();
        if (change.TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(change.TimeZone, out _)) errors.Add(new FieldError("timeZone", $"'{change.TimeZone}' is not a known time zone"));
        if (change.BaseCurrency is not null && !FieldValidator.IsCurrency(change.BaseCurrency)) errors.Add(new FieldError("baseCurrency", $"'{change.BaseCurrency}' is not an ISO 4217 currency code"));
        if (change.DefaultPhoneRegion is not null && !Regions.Contains(change.DefaultPhoneRegion)) errors.Add(new FieldError("defaultPhoneRegion", $"'{change.DefaultPhoneRegion}' is not a region code such as US or DE"));
        if (change.BusinessHours is not null)
        {
            if (change.BusinessHours.Any(d => d.Opens >= d.Closes)) errors.Add(new FieldError("businessHours", "each day must open before it closes"));
            if (change.BusinessHours.GroupBy(d => d.Day).Any(g => g.Count() > 1)) errors.Add(new FieldError("businessHours", "each day may appear once"));
        }

        if (change.ConsentPurposes is not null && change.ConsentPurposes.Any(p => !FieldName().IsMatch(p.Name ?? "")))
        {
            errors.Add(new FieldError("consentPurposes", "purpose names must be lower-case identifiers"));
        }

        if (change.FiscalYearStartMonth is < 1 or > 12) errors.Add(new FieldError("fiscalYearStartMonth", "must be a month number between 1 and 12"));
        if (change.Holidays is not null)
        {
            if (change.Holidays.Count > MaxHolidays) errors.Add(new FieldError("holidays", $"at most {MaxHolidays} dates"));
            if (change.Holidays.Any(d => d.Year is < 2000 or > 2199)) errors.Add(new FieldError("holidays", "dates must be between 2000 and 2199"));
        }

        if (change.RequiredFields is not null) errors.AddRange(StageRequirements.Validate(change.RequiredFields, _settings));

        if (errors.Count > 0) throw new ValidationException(errors);
        return AppendAsync(EventTypes.GeneralSettingsChanged, TenantSettingsFold.Payload("change", change), options);
    }

    public Task<TenantSettings> DefineSlaTargetAsync(SlaTarget target, WriteOptions options)
    {
        var errors = new List<FieldError>();
        if (target.QueueId != SlaTarget.AnyQueue && !RecordIds.IsValid(target.QueueId)) errors.Add(new FieldError("queueId", $"must be a queue id or '{SlaTarget.AnyQueue}' (cases without a target of their queue)"));
        if (target.Priority is not null && !RecordSchema.Priorities.Contains(target.Priority)) errors.Add(new FieldError("priority", $"must be one of: {string.Join(", ", RecordSchema.Priorities)} (or absent for any)"));
        if (target.FirstResponseMinutes is null && target.ResolutionMinutes is null) errors.Add(new FieldError("firstResponseMinutes", "a target needs firstResponseMinutes, resolutionMinutes or both"));
        if (target.FirstResponseMinutes is < 1 or > MaxSlaMinutes) errors.Add(new FieldError("firstResponseMinutes", $"must be between 1 and {MaxSlaMinutes} business minutes"));
        if (target.ResolutionMinutes is < 1 or > MaxSlaMinutes) errors.Add(new FieldError("resolutionMinutes", $"must be between 1 and {MaxSlaMinutes} business minutes"));
        if (target.WarningPercent is < 1 or > 99) errors.Add(new FieldError("warningPercent", "must be between 1 and 99"));
        if (!_settings.SlaTargets.Any(t => t.QueueId == target.QueueId && t.Priority == target.Priority) && _settings.SlaTargets.Count >= MaxSlaTargets)
        {
            errors.Add(new FieldError("queueId", $"a tenant can hold at most {MaxSlaTargets} SLA targets"));
        }

        if (errors.Count > 0) throw new ValidationException(errors);
        return AppendAsync(EventTypes.SlaTargetDefined, TenantSettingsFold.Payload("target", target), options);
    }

    public Task<TenantSettings> RemoveSlaTargetAsync(string queueId, string? priority, WriteOptions options)
    {
        if (!_settings.SlaTargets.Any(t => t.QueueId == queueId && t.Priority == priority))
        {
            throw new ValidationException("queueId", priority is null
                ? $"there is no SLA target for queue '{queueId}' and any priority"
                : $"there is no SLA target for queue '{queueId}' and priority '{priority}'");
        }

        return AppendAsync(EventTypes.SlaTargetRemoved,
            new System.Text.Json.Nodes.JsonObject { ["queueId"] = queueId, ["priority"] = priority }.ToJsonString(), options);
    }

    public Task<TenantSettings> SetExchangeRateAsync(ExchangeRate rate, WriteOptions options)
    {
        var errors = new List<FieldError>();
        if (rate.Currency is null || !FieldValidator.IsCurrency(rate.Currency)) errors.Add(new FieldError("currency", $"'{rate.Currency}' is not an ISO 4217 currency code"));
        else if (rate.Currency == _settings.BaseCurrency) errors.Add(new FieldError("currency", $"'{rate.Currency}' is the base currency; its rate is always 1"));
        if (rate.From.Year is < 1900 or > 2199) errors.Add(new FieldError("from", "must be a date between 1900 and 2199"));
        if (rate.Rate <= 0 || rate.Rate > 1_000_000_000m) errors.Add(new FieldError("rate", "must be positive and at most 1000000000"));
        if (!_settings.ExchangeRates.Any(r => r.Currency == rate.Currency && r.From == rate.From) && _settings.ExchangeRates.Count >= MaxExchangeRates)
        {
            errors.Add(new FieldError("from", $"a tenant can hold at most {MaxExchangeRates} exchange rates"));
        }

        if (errors.Count > 0) throw new ValidationException(errors);
        return AppendAsync(EventTypes.ExchangeRateSet, TenantSettingsFold.Payload("rate", rate), options);
    }

    public Task<TenantSettings> RemoveExchangeRateAsync(string currency, DateOnly from, WriteOptions options)
    {
        if (!_settings.ExchangeRates.Any(r => r.Currency == currency && r.From == from))
        {
            throw new ValidationException("from", $"there is no rate of '{currency}' from {from:yyyy-MM-dd}");
        }

        return AppendAsync(EventTypes.ExchangeRateRemoved,
            new System.Text.Json.Nodes.JsonObject { ["currency"] = currency, ["from"] = from.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }.ToJsonString(), options);
    }

    private async Task<TenantSettings> AppendAsync(string type, string payloadJson, WriteOptions options)
    {
        var version = _events.Count;
        if (options.ExpectedVersion is { } expected && expected != version)
        {
            throw new ConcurrencyConflictException(StreamIds.Settings, expected, version);
        }

        var now = time.GetUtcNow();
        if (_events.Count > 0 && now < _events[^1].Time) now = _events[^1].Time;
        var batch = new EventBatch(_tenant, StreamIds.Settings, version, now, options, Actor.System);
        batch.Add(type, payloadJson);
        try
        {
            await store.AppendAsync(new AppendRequest { Tenant = _tenant, StreamId = StreamIds.Settings, ExpectedVersion = version, Events = batch.Events });
        }
        catch (ConcurrencyConflictException)
        {
            await ReloadAsync();
            throw;
        }

        _events.AddRange(batch.AsCommitted());
        _settings = TenantSettingsFold.Fold(_events);
        provider.Publish(_tenant, [.. _events]);
        return _settings;
    }

    [GeneratedRegex("^[a-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex FieldName();
}
