using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Server.IntegrationTests;

/// <summary>An answer read whole: for asserting on status, headers and body exactly as a client sees them.</summary>
public sealed record RawResponse(HttpStatusCode Status, string? MediaType, string Body, HttpResponseHeaders Headers)
{
    public int Code => (int)Status;

    public JsonObject Json => JsonNode.Parse(Body) as JsonObject ?? throw new InvalidOperationException("Not a JSON object: " + Body);

    public bool IsProblem => MediaType == "application/problem+json";

    public string? ProblemType => TryJson()?["type"]?.GetValue<string>();

    public JsonObject? TryJson()
    {
        try
        {
            return JsonNode.Parse(Body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public override string ToString() => $"{Code} {MediaType}: {(Body.Length > 400 ? Body[..400] + "…" : Body)}";
}

/// <summary>Requests built by hand, for what the typed client would never send.</summary>
public static class RawHttp
{
    public static Task<RawResponse> SendAsync(this CrmServerInstance server, HttpMethod method, string path, string? apiKey,
        string? json = null, string contentType = "application/json", IReadOnlyDictionary<string, string>? headers = null) =>
        server.SendAsync(method, path, apiKey, json is null ? null : new ByteArrayContent(Encoding.UTF8.GetBytes(json)), contentType, headers);

    public static async Task<RawResponse> SendAsync(this CrmServerInstance server, HttpMethod method, string path, string? apiKey,
        HttpContent? content, string? contentType, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (content is not null)
        {
            if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            request.Content = content;
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content?.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new RawResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers);
    }
}
