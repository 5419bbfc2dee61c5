using System.Net;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>A server of its own with a small per-key budget.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_key_over_its_rate_gets_429_with_Retry_After_while_other_keys_carry_on()
    {
        using var directory = new TempDirectory();
        await using var server = await CrmServerInstance.StartAsync(directory.Path, CrmServerInstance.NewKey(), TestData.Cancel,
            "--Crm:RateLimit:PermitsPerSecond=1", "--Crm:RateLimit:Burst=5");
        var tenant = await server.NewTenantAsync(TestData.Cancel);

        CrmApiException? limited = null;
        for (var i = 0; i < 50 && limited is null; i++)
        {
            try
            {
                await tenant.Admin.GetMeAsync();
            }
            catch (CrmApiException ex) when (ex.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = ex;
            }
        }

        Assert.NotNull(limited);
        Assert.Equal(ProblemTypes.RateLimited, limited.ProblemType);
        Assert.Equal("application/problem+json", limited.ContentType);
        Assert.Equal(TimeSpan.FromSeconds(1), limited.RetryAfter);

        // The budget is per key: the bootstrap admin is not slowed down by the tenant admin.
        Assert.Equal("default", (await server.Bootstrap.GetMeAsync()).Tenant);
        await Eventually.TrueAsync(async () => (await server.SendAsync(HttpMethod.Get, "api/v1/me", tenant.AdminKey)).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10), "the key's budget to refill");
    }

    [Fact]
    public async Task Anonymous_public_routes_are_limited_per_client_address_while_keys_and_health_checks_carry_on()
    {
        using var directory = new TempDirectory();
        // Extra arguments come last, so they win over the test defaults.
        await using var server = await CrmServerInstance.StartAsync(directory.Path, CrmServerInstance.NewKey(), TestData.Cancel,
            "--Crm:RateLimit:PublicPermitsPerSecond=1", "--Crm:RateLimit:PublicBurst=3");

        RawResponse? limited = null;
        var answered = 0;
        for (var i = 0; i < 50 && limited is null; i++)
        {
            // An unsubscribe link with a forged token: answered (not found) until the address's budget is spent.
            var response = await server.SendAsync(HttpMethod.Get, "u/not-a-real-token", apiKey: null);
            if (response.Status == HttpStatusCode.TooManyRequests) limited = response;
            else answered++;
        }

        Assert.NotNull(limited);
        Assert.InRange(answered, 3, 10);
        Assert.Equal(ProblemTypes.RateLimited, limited.ProblemType);
        Assert.Equal("1", limited.Headers.RetryAfter?.ToString());
        Assert.Contains("public routes", limited.Json["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "health/live", apiKey: null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "api/v1/me", server.BootstrapKey)).Status);
    }
}
