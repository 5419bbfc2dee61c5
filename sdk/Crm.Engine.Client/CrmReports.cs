using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>
/// Reports (<c>/api/v1/reports/{report}</c>): <c>pipeline</c>, <c>forecast</c>, <c>win-rate</c>, <c>funnel</c>,
/// <c>cases</c>, <c>owner-activity</c>. Admins, managers and read-only keys may read them; agents may not.
/// </summary>
public sealed class CrmReports
{
    private const string Path = "api/v1/reports";
    private readonly CrmHttpClient _client;

    internal CrmReports(CrmHttpClient client) => _client = client;

    /// <summary>A report as JSON; <paramref name="from"/> and <paramref name="to"/> are days in the tenant's time zone, both included.</summary>
    public async Task<JsonObject> GetAsync(string report, DateOnly? from = null, DateOnly? to = null, string? pipeline = null, bool includeClosed = false,
        CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, ReportPath(report, from, to, pipeline, includeClosed), null, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>A report as CSV text (RFC 4180): one row per stage, month, source, queue or owner, then a total row.</summary>
    public async Task<string> GetCsvAsync(string report, DateOnly? from = null, DateOnly? to = null, string? pipeline = null, bool includeClosed = false,
        CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_client.Base, ReportPath(report, from, to, pipeline, includeClosed)));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _client.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await _client.Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new CrmApiException(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, null);
        return text;
    }

    /// <summary>How far the reports projection has followed the log: <c>{ "position", "head" }</c>.</summary>
    public async Task<JsonObject> GetStatusAsync(CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, Path + "/status", null, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Rebuilds the reports projection from zero (admins of the bootstrap tenant; it covers every tenant).</summary>
    public async Task RebuildAsync(CancellationToken cancellationToken = default) =>
        await _client.SendAsync(HttpMethod.Post, Path + "/rebuild", null, null, cancellationToken).ConfigureAwait(false);

    private static string ReportPath(string report, DateOnly? from, DateOnly? to, string? pipeline, bool includeClosed) =>
        CrmHttpClient.Query($"{Path}/{CrmHttpClient.Escape(report)}",
            ("from", Day(from)), ("to", Day(to)), ("pipeline", pipeline), ("includeClosed", includeClosed ? "true" : null));

    private static string? Day(DateOnly? day) => day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
