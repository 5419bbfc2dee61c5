using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Cluster.Tests;

/// <summary>Rules in a cluster: a rule saved through one node acts on every node within a second; react rules act once per cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterRuleTests(ThreeNodeCluster cluster)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<JsonObject> SendAsync(int node, HttpMethod method, string path, string key, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await cluster[node].Http.SendAsync(request, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} on node {node}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!.AsObject();
    }

    private static string Tagger(string tag) =>
        $$"""export default { on: "contact.created", stage: "enrich", then: (e, act) => act.addTag("{{tag}}") };""";

    /// <summary>Probes until <paramref name="condition"/> holds; returns when the probe that saw it was sent.</summary>
    private async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, Stopwatch since)
    {
        while (true)
        {
            var sentAt = since.Elapsed;
            if (await condition()) return sentAt;
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(10), "the cluster never agreed");
            await Task.Delay(20, Cancel);
        }
    }

    private async Task<string?> FirstTagOfNewContactAsync(int node, string key)
    {
        var contact = await cluster.Client(node, key).Contacts.CreateAsync(new JsonObject { ["firstName"] = "Probe" }, cancellationToken: Cancel);
        return (contact.Fields["tags"] as JsonArray)?.FirstOrDefault()?.GetValue<string>();
    }

    [Fact]
    public async Task A_rule_saved_updated_and_disabled_through_one_node_applies_on_the_others_within_a_second()
    {
        var key = await cluster.NewTenantKeyAsync();
        await cluster.Client(3, key).Contacts.CreateAsync(new JsonObject { ["firstName"] = "Warm" }, cancellationToken: Cancel);

        await SendAsync(1, HttpMethod.Post, "api/v1/rules", key, new JsonObject { ["id"] = "tagger", ["source"] = Tagger("v1") });
        var saved = Stopwatch.StartNew();
        var elapsed = await UntilAsync(async () => await FirstTagOfNewContactAsync(3, key) == "v1", saved);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"node 3 applied the new rule {elapsed.TotalMilliseconds:F0} ms after it was saved on node 1");

        await SendAsync(2, HttpMethod.Put, "api/v1/rules/tagger", key, new JsonObject { ["source"] = Tagger("v2") });
        var updated = Stopwatch.StartNew();
        elapsed = await UntilAsync(async () => await FirstTagOfNewContactAsync(1, key) == "v2", updated);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"node 1 applied version 2 {elapsed.TotalMilliseconds:F0} ms after it was saved on node 2");

        await SendAsync(3, HttpMethod.Post, "api/v1/rules/tagger/disable", key);
        var disabled = Stopwatch.StartNew();
        elapsed = await UntilAsync(async () => await FirstTagOfNewContactAsync(2, key) is null, disabled);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"node 2 stopped the rule {elapsed.TotalMilliseconds:F0} ms after it was disabled on node 3");
    }

    [Fact]
    public async Task A_react_rule_acts_once_per_event_whichever_node_took_the_write()
    {
        var key = await cluster.NewTenantKeyAsync();
        await SendAsync(1, HttpMethod.Post, "api/v1/rules", key, new JsonObject
        {
            ["id"] = "follow-up",
            ["source"] = """export default { on: "contact.created", then: (e, act) => act.createTask({ title: "Call " + e.after.firstName }) };""",
        });

        var names = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            var node = i % 3 + 1;
            var name = $"N{node}x{i}";
            names.Add(name);
            await cluster.Client(node, key).Contacts.CreateAsync(new JsonObject { ["firstName"] = name }, cancellationToken: Cancel);
        }

        var tasks = cluster.Client(2, key).Tasks;
        await UntilAsync(async () => (await tasks.ListAsync(new ListQuery { Limit = 100 }, Cancel)).Items.Count >= 9, Stopwatch.StartNew());
        var titles = (await tasks.ListAsync(new ListQuery { Limit = 100 }, Cancel)).Items.Select(t => t.GetString("title")).Order().ToList();
        Assert.Equal(names.Select(n => "Call " + n).Order(), titles);
    }
}
