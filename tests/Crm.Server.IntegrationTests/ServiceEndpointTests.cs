using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Server.IntegrationTests;

/// <summary>OpenAPI, the reference page and health: what operators and client authors look at first.</summary>
public sealed class ServiceEndpointTests(CrmServerFixture fixture)
{
    [Fact]
    public async Task The_OpenAPI_document_lists_every_route_the_server_maps()
    {
        var raw = await fixture.Server.SendAsync(HttpMethod.Get, "openapi/v1.json", null);
        Assert.Equal(HttpStatusCode.OK, raw.Status);
        var paths = raw.Json["paths"]!.AsObject();
        var documented = paths
            .SelectMany(p => p.Value!.AsObject().Select(op => $"{op.Key.ToUpperInvariant()} {Normalise(p.Key)}"))
            .ToHashSet();

        var mapped = fixture.Server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m => $"{m} {Normalise(e.RoutePattern.RawText!)}"))
            .ToHashSet();

        Assert.True(mapped.Count >= 9 * 11, $"only {mapped.Count} routes mapped");
        var undocumented = mapped.Except(documented).Order().ToList();
        Assert.True(undocumented.Count == 0, "not in the OpenAPI document:\n" + string.Join("\n", undocumented));
        var unmapped = documented.Where(d => d.Contains(" /api/", StringComparison.Ordinal)).Except(mapped).Order().ToList();
        Assert.True(unmapped.Count == 0, "documented but not mapped:\n" + string.Join("\n", unmapped));
        Assert.Contains("POST /api/v1/contacts", documented);
        Assert.Contains("PUT /api/v1/contacts/{id}/consent/{purpose}/{channel}", documented);
        Assert.Contains("PUT /api/v1/contacts/by-external-id/{externalId}", documented);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_api_and_its_operations_have_unique_ids()
    {
        var doc = (await fixture.Server.SendAsync(HttpMethod.Get, "openapi/v1.json", null)).Json;
        Assert.Equal("Crm.Engine API", doc["info"]!["title"]!.GetValue<string>());
        var ids = doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(op => op.Value?["operationId"]?.GetValue<string>())).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task The_reference_page_answers_at_docs()
    {
        using var response = await fixture.Server.Http.GetAsync("docs", TestData.Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(TestData.Cancel);
        Assert.Contains("openapi/v1.json", html);
    }

    [Fact]
    public async Task Health_answers_live_and_ready_without_a_key()
    {
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.SendAsync(HttpMethod.Get, "health/live", null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.SendAsync(HttpMethod.Get, "health/ready", null)).Status);
    }

    private static string Normalise(string pattern)
    {
        var path = "/" + pattern.Trim('/');
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }
}
