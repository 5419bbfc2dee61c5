using System.Net;
using System.Text.Json.Nodes;
using Crm.Server.IntegrationTests;

namespace Crm.Cluster.Tests;

/// <summary>
/// The reports projection runs on one node of the cluster; when that node dies another carries on from the stored
/// checkpoint, and a rebuild from zero through any node gives the same report.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterReportTests(ThreeNodeCluster cluster)
{
    private const string Lease = "projection/reports";
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task When_the_projection_node_dies_another_carries_on_and_a_rebuild_gives_the_same_report()
    {
        var key = await cluster.NewTenantKeyAsync();
        int holder = 0;
        await Eventually.TrueAsync(async () => (holder = await cluster.LeaseHolderAsync(Lease) ?? 0) != 0, TimeSpan.FromSeconds(30), "a node to hold the projection lease");
        var survivor = holder % 3 + 1;
        var other = Enumerable.Range(1, 3).First(n => n != holder && n != survivor);
        var api = cluster[survivor].Http;

        await Expect(HttpStatusCode.OK, await SendAsync(api, HttpMethod.Patch, "api/v1/settings", key, """{"baseCurrency":"USD"}"""));
        await Expect(HttpStatusCode.OK, await SendAsync(api, HttpMethod.Put, "api/v1/settings/exchange-rates/EUR/2026-01-01", key, """{"rate":1.5}"""));
        for (var i = 0; i < 10; i++)
        {
            await Expect(HttpStatusCode.Created, await SendAsync(api, HttpMethod.Post, "api/v1/deals", key,
                $$"""{"name":"Euro {{i}}","stage":"proposal","amount":100,"currency":"EUR","closeDate":"2026-06-01"}"""));
        }

        try
        {
            await cluster[holder].KillAsync();
            for (var i = 0; i < 10; i++)
            {
                using var created = await WithRetriesAsync(() => SendAsync(api, HttpMethod.Post, "api/v1/deals", key,
                    $$"""{"name":"Dollar {{i}}","stage":"proposal","amount":100,"currency":"USD","closeDate":"2026-06-01"}"""));
                await Expect(HttpStatusCode.Created, created);
            }

            await CaughtUpAsync(api, key, "the projection to carry on on a surviving node");
            var before = await PipelineAsync(cluster[other].Http, key);
            var proposal = before["stages"]!.AsArray().Single(s => (string?)s!["stage"] == "proposal")!;
            Assert.Equal((20, 2500m, 1250m), ((int)proposal["count"]!, (decimal)proposal["amount"]!, (decimal)proposal["weighted"]!));

            await Expect(HttpStatusCode.Accepted, await SendAsync(cluster[other].Http, HttpMethod.Post, "api/v1/reports/rebuild", cluster.BootstrapKey));
            await CaughtUpAsync(api, key, "the rebuilt projection to catch up");
            var after = await PipelineAsync(api, key);
            before.Remove("position");
            after.Remove("position");
            Assert.Equal(before.ToJsonString(), after.ToJsonString());
        }
        finally
        {
            if (!cluster[holder].IsRunning) await cluster[holder].StartAsync(Cancel);
        }
    }

    private static async Task<JsonObject> PipelineAsync(HttpClient http, string key)
    {
        using var response = await SendAsync(http, HttpMethod.Get, "api/v1/reports/pipeline", key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsObject();
    }

    private static Task CaughtUpAsync(HttpClient http, string key, string what) => Eventually.TrueAsync(async () =>
    {
        using var response = await SendAsync(http, HttpMethod.Get, "api/v1/reports/status", key);
        if (response.StatusCode != HttpStatusCode.OK) return false;
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!;
        return (long)status["position"]! >= (long)status["head"]!;
    }, TimeSpan.FromSeconds(90), what);

    private static async Task Expect(HttpStatusCode expected, HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Cancel)}");
        }
    }

    private static async Task<HttpResponseMessage> WithRetriesAsync(Func<Task<HttpResponseMessage>> call)
    {
        // A request whose grain was on the dead node fails until the survivors declare it dead.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await call();
                if (result.StatusCode >= HttpStatusCode.InternalServerError && attempt < 60)
                {
                    result.Dispose();
                    await Task.Delay(500, Cancel);
                    continue;
                }

                return result;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && attempt < 60)
            {
                await Task.Delay(500, Cancel);
            }
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string key, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        return await http.SendAsync(request, Cancel);
    }
}
