using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;
using Crm.Server.IntegrationTests;

namespace Crm.Cluster.Tests;

/// <summary>
/// Timers and log subscriptions run on one node at a time; when that node dies another takes over: every timer fires
/// once, and every outbox row is applied once.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OncePerClusterTests(ThreeNodeCluster cluster)
{
    private const string LastActivity = "crm.lastActivity";
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task When_the_timer_node_dies_every_timer_still_fires_once_and_every_activity_update_applies_once()
    {
        var key = await cluster.NewTenantKeyAsync();
        int holder = 0;
        await Eventually.TrueAsync(async () => (holder = await cluster.LeaseHolderAsync("timers") ?? 0) != 0, TimeSpan.FromSeconds(30), "a node to hold the timer lease");
        var survivor = holder % 3 + 1;
        var api = cluster[survivor].Http;
        var client = cluster.Client(survivor, key);

        // Twenty tasks with a timer due in two seconds, and twenty calls linked to contacts (each link is an outbox row).
        var due = DateTimeOffset.UtcNow.AddSeconds(2);
        var tasks = new List<string>();
        var contacts = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var task = await client.Tasks.CreateAsync(new JsonObject { ["title"] = $"Follow up {i}" }, cancellationToken: Cancel);
            using var set = await SendAsync(api, HttpMethod.Put, $"api/v1/tasks/{task.Id}/timers/remind", key, $$"""{"dueAt":"{{due:O}}"}""");
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            tasks.Add(task.Id);
        }

        await cluster[holder].KillAsync();
        for (var i = 0; i < 20; i++)
        {
            var contact = await WithRetriesAsync(() => client.Contacts.CreateAsync(new JsonObject { ["firstName"] = $"Caller {i}" }, cancellationToken: Cancel));
            var call = await WithRetriesAsync(() => client.Interactions.CreateAsync(new JsonObject { ["kind"] = "call", ["occurredAt"] = $"2026-02-{i + 1:00}T09:00:00Z" }, cancellationToken: Cancel));
            using var link = await WithRetriesAsync(() => SendAsync(api, HttpMethod.Post, $"api/v1/interactions/{call.Id}/links", key, $$"""{"type":"contact","id":"{{contact.Id}}"}"""));
            contacts.Add(contact.Id);
        }

        // Every timer fires once, through whichever node took the lease over.
        var firedAt = new Dictionary<string, DateTimeOffset>();
        await Eventually.TrueAsync(async () =>
        {
            foreach (var id in tasks.Where(t => !firedAt.ContainsKey(t)).ToList())
            {
                var fired = (await HistoryAsync(api, "tasks", id, key)).Where(e => (string?)e["type"] == "timer.fired").ToList();
                if (fired.Count > 0) firedAt[id] = fired[0]["time"]!.GetValue<DateTimeOffset>();
            }

            return firedAt.Count == tasks.Count;
        }, TimeSpan.FromSeconds(90), "every timer to fire after its node died");
        var latest = firedAt.Values.Max() - due;

        // Every activity update applies once: one update per linked call, none twice.
        await Eventually.TrueAsync(async () => (await cluster.OutboxAsync(LastActivity)).Count(r => r.Status == 1) >= contacts.Count,
            TimeSpan.FromSeconds(90), "the activity updates to be done");
        foreach (var id in contacts)
        {
            var updates = (await HistoryAsync(api, "contacts", id, key)).Where(e => (string?)e["causationId"] is { } c && c.StartsWith(LastActivity + "/", StringComparison.Ordinal)).ToList();
            Assert.Single(updates);
        }

        foreach (var id in tasks)
        {
            Assert.Single(await HistoryAsync(api, "tasks", id, key), e => (string?)e["type"] == "timer.fired");
        }

        TestContext.Current.SendDiagnosticMessage(
            $"node {holder} (timer lease holder) killed; timers due 2 s after it died fired at most {latest.TotalSeconds:F1} s late; {contacts.Count} activity updates applied once each");
        // The bound: the dead node's lease expires (LeaseDuration), the survivors notice the node is dead (membership
        // probes) so the timers' grains can move, plus a second.
        Assert.True(latest < ThreeNodeCluster.LeaseDuration + TimeSpan.FromSeconds(20), $"timers fired {latest} late");

        await cluster[holder].StartAsync(Cancel);
        Assert.Equal(HttpStatusCode.OK, (await cluster[holder].Http.GetAsync("health/ready", Cancel)).StatusCode);
    }

    private static async Task<T> WithRetriesAsync<T>(Func<Task<T>> call)
    {
        // A request whose grain was on the dead node fails until the survivors declare it dead.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await call();
                if (result is HttpResponseMessage { StatusCode: >= HttpStatusCode.InternalServerError } && attempt < 60) { await Task.Delay(500, Cancel); continue; }
                return result;
            }
            catch (Exception ex) when (ex is CrmApiException { StatusCode: >= HttpStatusCode.InternalServerError } or HttpRequestException or TaskCanceledException && attempt < 60)
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

    private static async Task<List<JsonObject>> HistoryAsync(HttpClient http, string resource, string id, string key)
    {
        using var response = await SendAsync(http, HttpMethod.Get, $"api/v1/{resource}/{id}/history?limit=1000", key);
        if (response.StatusCode != HttpStatusCode.OK) return [];
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!;
        return body["items"]!.AsArray().OfType<JsonObject>().ToList();
    }
}
