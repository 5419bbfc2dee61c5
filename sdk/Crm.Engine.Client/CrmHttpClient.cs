using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>
/// Typed client of the Crm.Server REST API (<c>/api/v1</c>) for one API key. Share one <see cref="HttpClient"/>
/// between many keys: the key goes on each request, not on the client's default headers.
/// </summary>
public sealed class CrmHttpClient
{
    private const string JsonMediaType = "application/json";
    private readonly Uri _base;

    /// <summary>The server's address, ending in a slash.</summary>
    internal Uri Base => _base;
    private readonly AuthenticationHeaderValue _auth;

    /// <summary>Creates a client over <paramref name="http"/> (its <c>BaseAddress</c> is the server, e.g. <c>http://localhost:5080/</c>).</summary>
    public CrmHttpClient(HttpClient http, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        var baseAddress = http.BaseAddress ?? throw new ArgumentException("The HttpClient needs a BaseAddress, e.g. http://localhost:5080/.", nameof(http));
        Http = http;
        ApiKey = apiKey;
        _base = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _auth = new AuthenticationHeaderValue("Bearer", apiKey);
        Contacts = new CrmRecords(this, "contacts");
        Accounts = new CrmRecords(this, "accounts");
        Deals = new CrmRecords(this, "deals");
        Cases = new CrmRecords(this, "cases");
        Interactions = new CrmRecords(this, "interactions");
        Tasks = new CrmRecords(this, "tasks");
        Users = new CrmRecords(this, "users");
        Teams = new CrmRecords(this, "teams");
        Queues = new CrmRecords(this, "queues");
        Consent = new CrmConsent(this);
        Approvals = new CrmApprovals(this);
        Settings = new CrmSettings(this);
        Reports = new CrmReports(this);
        Keys = new CrmKeys(this);
        Tenants = new CrmTenants(this);
    }

    /// <summary>The underlying HTTP client.</summary>
    public HttpClient Http { get; }

    /// <summary>The API key every request carries.</summary>
    public string ApiKey { get; }

    /// <summary>The resource names under <c>/api/v1</c>.</summary>
    public static IReadOnlyList<string> ResourceNames { get; } =
        ["contacts", "accounts", "deals", "cases", "interactions", "tasks", "users", "teams", "queues"];

    public CrmRecords Contacts { get; }
    public CrmRecords Accounts { get; }
    public CrmRecords Deals { get; }
    public CrmRecords Cases { get; }
    public CrmRecords Interactions { get; }
    public CrmRecords Tasks { get; }
    public CrmRecords Users { get; }
    public CrmRecords Teams { get; }
    public CrmRecords Queues { get; }

    /// <summary>Consent of contacts: record a decision, read the ledger, ask "may I contact".</summary>
    public CrmConsent Consent { get; }

    /// <summary>Stage approvals of deals: approve, reject, list.</summary>
    public CrmApprovals Approvals { get; }

    /// <summary>Tenant settings: general settings, custom fields, pipelines, SLA targets.</summary>
    public CrmSettings Settings { get; }

    /// <summary>Reports: pipeline, forecast, win rate, funnel, cases, owner activity, as JSON or CSV.</summary>
    public CrmReports Reports { get; }

    /// <summary>API keys of the caller's tenant (admins).</summary>
    public CrmKeys Keys { get; }

    /// <summary>Tenants (admins of the bootstrap tenant).</summary>
    public CrmTenants Tenants { get; }

    /// <summary>The routes of one resource by name (<c>contacts</c>, <c>deals</c>, …).</summary>
    public CrmRecords Records(string resource) => new(this, resource);

    /// <summary>The same server with another API key.</summary>
    public CrmHttpClient WithApiKey(string apiKey) => new(Http, apiKey);

    /// <summary>Who the key acts as: tenant, user, role and key id.</summary>
    public async Task<CallerIdentity> GetMeAsync(CancellationToken cancellationToken = default)
    {
        var o = (await SendAsync(HttpMethod.Get, "api/v1/me", null, null, cancellationToken)).Object;
        return new CallerIdentity(Json.Str(o, "tenant") ?? "", Json.Str(o, "userId") ?? "", Json.Str(o, "role") ?? "", Json.Str(o, "keyId") ?? "");
    }

    /// <summary>Records a case's first response (<c>POST /cases/{id}/respond</c>).</summary>
    public async Task<ApiRecord> RespondToCaseAsync(string caseId, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Post, $"api/v1/cases/{Escape(caseId)}/respond", null, null, cancellationToken);
        return response.Record();
    }

    // A merged record answers a GET with 308 to the record it was merged into. HttpClient follows redirects but drops
    // the Authorization header, so a followed redirect ends in 401; that one (or an unfollowed 308) is asked again at
    // its new address, with the key, once.
    // (The handler rewrites the request's own RequestUri as it follows, so the address asked is passed apart.)
    private async Task<HttpResponseMessage> FollowMergeRedirectAsync(HttpRequestMessage sent, Uri asked, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (sent.Method != HttpMethod.Get) return response;
        Uri? target = null;
        if (response.StatusCode == HttpStatusCode.PermanentRedirect && response.Headers.Location is { } location) target = new Uri(asked, location);
        else if (response.StatusCode == HttpStatusCode.Unauthorized && response.RequestMessage?.RequestUri is { } final && final != asked) target = final;
        if (target is null || target.Host != asked.Host || target.Port != asked.Port) return response;

        response.Dispose();
        using var again = new HttpRequestMessage(HttpMethod.Get, target);
        again.Headers.Authorization = _auth;
        again.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonMediaType));
        return await Http.SendAsync(again, cancellationToken).ConfigureAwait(false);
    }

    internal static string Escape(string segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        return Uri.EscapeDataString(segment);
    }

    internal static string Query(string path, params (string Name, string? Value)[] parameters)
    {
        var sb = new StringBuilder(path);
        var first = !path.Contains('?');
        foreach (var (name, value) in parameters)
        {
            if (value is null) continue;
            sb.Append(first ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }

        return sb.ToString();
    }

    internal async Task<CrmResponse> SendAsync(HttpMethod method, string path, JsonNode? body, Action<HttpRequestMessage>? configure,
        CancellationToken cancellationToken, string contentType = JsonMediaType)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path));
        request.Headers.Authorization = _auth;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonMediaType));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType);
        }

        configure?.Invoke(request);
        var asked = request.RequestUri!;
        using var response = await FollowMergeRedirectAsync(request, asked, await Http.SendAsync(request, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var retryAfter = response.Headers.RetryAfter is { } ra
                ? ra.Delta ?? (ra.Date is { } date ? date - DateTimeOffset.UtcNow : null)
                : null;
            throw new CrmApiException(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, retryAfter);
        }

        JsonNode? json = null;
        if (text.Length > 0)
        {
            try
            {
                json = JsonNode.Parse(text);
            }
            catch (JsonException ex)
            {
                throw new FormatException("The server's answer is not JSON: " + ex.Message, ex);
            }
        }

        var location = response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(_base, l)) : null;
        return new CrmResponse(response.StatusCode, response.Headers.ETag?.ToString(), location, json);
    }
}

/// <summary>A successful answer: status, ETag, Location and the JSON body.</summary>
internal sealed record CrmResponse(HttpStatusCode Status, string? ETag, Uri? Location, JsonNode? Body)
{
    public JsonObject Object => Body as JsonObject ?? throw new FormatException("The server's answer is not a JSON object.");

    public ApiRecord Record() => new(Object, ETag, Location);

    public ApiPage<T> Page<T>(Func<JsonObject, T> map)
    {
        var o = Object;
        var items = o["items"] is JsonArray a ? a.OfType<JsonObject>().Select(map).ToList() : [];
        return new ApiPage<T>(items, Json.Str(o, "next"));
    }
}

/// <summary>Who an API key acts as.</summary>
public sealed record CallerIdentity(string Tenant, string UserId, string Role, string KeyId);
