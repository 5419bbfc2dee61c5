using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>Tenant settings (<c>/api/v1/settings</c>): read by everyone, changed by admins. Answers are the whole settings object.</summary>
public sealed class CrmSettings
{
    private const string Path = "api/v1/settings";
    private readonly CrmHttpClient _client;

    internal CrmSettings(CrmHttpClient client) => _client = client;

    /// <summary>The settings (as of a past time when given): time zone, currency, custom fields, pipelines, business hours, consent purposes.</summary>
    public async Task<JsonObject> GetAsync(DateTimeOffset? asOf = null, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, CrmHttpClient.Query(Path, ("asOf", asOf is { } t ? Json.Format(t) : null)), null, null, cancellationToken)
            .ConfigureAwait(false)).Object;

    /// <summary>Changes general settings, e.g. <c>{ "timeZone": "Europe/Paris", "baseCurrency": "EUR" }</c>.</summary>
    public async Task<JsonObject> ChangeGeneralAsync(JsonObject change, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Patch, Path, change, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Defines (or redefines) a custom field, e.g. <c>{ "type": "choice", "choices": ["north", "south"] }</c>.</summary>
    public async Task<JsonObject> DefineCustomFieldAsync(string recordType, string name, JsonObject definition, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Put, CustomField(recordType, name), definition, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Removes a custom field.</summary>
    public async Task<JsonObject> RemoveCustomFieldAsync(string recordType, string name, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Delete, CustomField(recordType, name), null, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Defines (or redefines) a pipeline: <c>{ "name": "Sales", "stages": [{ "id": "new", "name": "New", "probability": 10 }] }</c>.</summary>
    public async Task<JsonObject> DefinePipelineAsync(string id, JsonObject pipeline, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Put, $"{Path}/pipelines/{CrmHttpClient.Escape(id)}", pipeline, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>
    /// Defines (or redefines) the SLA target of a queue (<c>*</c>: cases whose queue has none) and priority (null: any):
    /// <c>{ "firstResponseMinutes": 60, "resolutionMinutes": 480, "warningPercent": 80 }</c>, in business minutes.
    /// </summary>
    public async Task<JsonObject> DefineSlaTargetAsync(string queueId, string? priority, JsonObject target, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Put, SlaTarget(queueId, priority), target, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Removes the SLA target of a queue and priority (null: the one for any priority).</summary>
    public async Task<JsonObject> RemoveSlaTargetAsync(string queueId, string? priority = null, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Delete, SlaTarget(queueId, priority), null, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Sets (or replaces) the rate of a currency into the base currency from <paramref name="from"/> on.</summary>
    public async Task<JsonObject> SetExchangeRateAsync(string currency, DateOnly from, decimal rate, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Put, ExchangeRate(currency, from), new JsonObject { ["rate"] = rate }, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Removes the rate of a currency set for a day.</summary>
    public async Task<JsonObject> RemoveExchangeRateAsync(string currency, DateOnly from, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Delete, ExchangeRate(currency, from), null, null, cancellationToken).ConfigureAwait(false)).Object;

    private static string ExchangeRate(string currency, DateOnly from) =>
        $"{Path}/exchange-rates/{CrmHttpClient.Escape(currency)}/{from.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}";

    private static string SlaTarget(string queueId, string? priority) =>
        $"{Path}/sla-targets/{CrmHttpClient.Escape(queueId)}" + (priority is null ? "" : "/" + CrmHttpClient.Escape(priority));

    private static string CustomField(string recordType, string name) =>
        $"{Path}/custom-fields/{CrmHttpClient.Escape(recordType)}/{CrmHttpClient.Escape(name)}";
}
