using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Cluster.Tests;

/// <summary>Any node takes any request; a change made through one node applies on the others within a second.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ThreeNodeCluster cluster)
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Records_written_through_each_node_are_read_and_found_through_the_others()
    {
        var key = await cluster.NewTenantKeyAsync();
        var written = new List<(int Node, ApiRecord Record)>();
        for (var node = 1; node <= 3; node++)
        {
            for (var i = 0; i < 5; i++)
            {
                var record = await cluster.Client(node, key).Contacts.CreateAsync(new JsonObject
                {
                    ["firstName"] = $"Node{node}",
                    ["lastName"] = $"Writer{i}",
                    ["email"] = $"n{node}.w{i}@example.com",
                }, cancellationToken: Cancel);
                written.Add((node, record));
            }
        }

        foreach (var (node, record) in written)
        {
            foreach (var other in Enumerable.Range(1, 3).Where(n => n != node))
            {
                var read = await cluster.Client(other, key).Contacts.GetAsync(record.Id, cancellationToken: Cancel);
                Assert.Equal(record.GetString("email"), read.GetString("email"));
                Assert.Equal(record.Version, read.Version);
            }
        }

        // A change through node 3 to a record created through node 1 is what nodes 1 and 2 read next.
        var first = written[0].Record;
        await cluster.Client(3, key).Contacts.PatchAsync(first.Id, new JsonObject { ["title"] = "Changed on node 3" }, cancellationToken: Cancel);
        Assert.Equal("Changed on node 3", (await cluster.Client(1, key).Contacts.GetAsync(first.Id, cancellationToken: Cancel)).GetString("title"));
        Assert.Equal("Changed on node 3", (await cluster.Client(2, key).Contacts.GetAsync(first.Id, cancellationToken: Cancel)).GetString("title"));

        // Search and lists see every node's writes (one database).
        var found = await cluster.Client(2, key).Contacts.ListAsync(new ListQuery { Q = "writer3" }, Cancel);
        Assert.Equal(3, found.Items.Count);
    }

    [Fact]
    public async Task A_custom_field_defined_through_node_1_is_accepted_through_node_3_within_a_second()
    {
        var key = await cluster.NewTenantKeyAsync();
        // Every node has the tenant's settings cached before the change.
        for (var node = 1; node <= 3; node++)
        {
            for (var i = 0; i < 4; i++)
            {
                await cluster.Client(node, key).Contacts.CreateAsync(new JsonObject { ["firstName"] = "Warm" }, cancellationToken: Cancel);
            }
        }

        await cluster.Client(1, key).Settings.DefineCustomFieldAsync("contact", "region", new JsonObject { ["type"] = "text" }, Cancel);
        var changed = Stopwatch.StartNew();

        // Writes through nodes 2 and 3 (landing on record grains of every node) until well past a second: none may be
        // refused once a second has passed.
        var lateRefusals = new List<string>();
        TimeSpan? firstAccepted = null;
        var attempt = 0;
        while (changed.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            var node = 2 + attempt++ % 2;
            var sentAt = changed.Elapsed;
            try
            {
                var created = await cluster.Client(node, key).Contacts.CreateAsync(
                    new JsonObject { ["firstName"] = "Regional", ["custom"] = new JsonObject { ["region"] = "EMEA" } }, cancellationToken: Cancel);
                Assert.Equal("EMEA", created.GetCustom("region")?.ToString());
                firstAccepted ??= sentAt;
            }
            catch (CrmApiException ex) when (ex.StatusCode == HttpStatusCode.BadRequest)
            {
                if (sentAt >= OneSecond) lateRefusals.Add($"node {node} at {sentAt.TotalMilliseconds:F0} ms: {ex.Detail}");
            }
        }

        Assert.True(firstAccepted < OneSecond, $"The first write using the new field was accepted {firstAccepted?.TotalMilliseconds:F0} ms after the change.");
        Assert.Empty(lateRefusals);
    }

    [Fact]
    public async Task A_pipeline_defined_through_node_1_takes_deals_through_node_3_within_a_second()
    {
        var key = await cluster.NewTenantKeyAsync();
        await cluster.Client(3, key).Deals.CreateAsync(new JsonObject { ["name"] = "Warm" }, cancellationToken: Cancel);
        await cluster.Client(1, key).Settings.DefinePipelineAsync("enterprise", new JsonObject
        {
            ["name"] = "Enterprise",
            ["stages"] = new JsonArray(new JsonObject { ["id"] = "qualify", ["name"] = "Qualify", ["probability"] = 5 }),
        }, Cancel);
        var changed = Stopwatch.StartNew();

        var elapsed = await FirstSuccessAsync(async () =>
        {
            var deal = await cluster.Client(3, key).Deals.CreateAsync(new JsonObject { ["name"] = "Big one", ["pipeline"] = "enterprise" }, cancellationToken: Cancel);
            Assert.Equal("qualify", deal.GetString("stage"));
        }, changed);
        Assert.True(elapsed < OneSecond, $"Node 3 took deals in the new pipeline only {elapsed.TotalMilliseconds:F0} ms after it was defined on node 1.");
    }

    [Fact]
    public async Task Keys_and_tenants_made_through_node_1_work_through_node_3_and_a_revoked_key_stops_within_a_second()
    {
        var key = await cluster.NewTenantKeyAsync();
        var admin1 = cluster.Client(1, key);

        // A new tenant's key, and a new key of an existing tenant, work on another node.
        var me = await WithinASecondAsync(() => cluster.Client(3, key).GetMeAsync(Cancel), "a new tenant's admin key to work on node 3");
        Assert.Equal("admin", me.UserId);
        var issued = await admin1.Keys.CreateAsync("admin", ApiRole.ReadOnly, "reader", Cancel);
        await WithinASecondAsync(() => cluster.Client(3, issued.Key).GetMeAsync(Cancel), "a key issued on node 1 to work on node 3");
        await cluster.Client(2, issued.Key).GetMeAsync(Cancel);

        await admin1.Keys.RevokeAsync(issued.Info.KeyId, Cancel);
        var revoked = Stopwatch.StartNew();
        await RefusedWithinASecondAsync(3, issued.Key, revoked, "the revoked key");
        await RefusedWithinASecondAsync(2, issued.Key, revoked, "the revoked key");
    }

    [Fact]
    public async Task A_user_deactivated_through_node_1_loses_access_through_node_3_within_a_second()
    {
        var key = await cluster.NewTenantKeyAsync();
        var admin1 = cluster.Client(1, key);
        var user = await admin1.Users.CreateAsync(new JsonObject { ["name"] = "Agent", ["email"] = "agent@example.com", ["role"] = "agent" }, cancellationToken: Cancel);
        var agentKey = (await admin1.Keys.CreateAsync(user.Id, ApiRole.Agent, "agent key", Cancel)).Key;
        await WithinASecondAsync(() => cluster.Client(3, agentKey).GetMeAsync(Cancel), "the agent's key to work on node 3");

        await admin1.Users.PatchAsync(user.Id, new JsonObject { ["active"] = false }, cancellationToken: Cancel);
        await RefusedWithinASecondAsync(3, agentKey, Stopwatch.StartNew(), "the deactivated user's key");
    }

    /// <summary>Asserts that <paramref name="node"/> answers 401 to <paramref name="key"/> less than a second into <paramref name="since"/>.</summary>
    private async Task RefusedWithinASecondAsync(int node, string key, Stopwatch since, string what)
    {
        var elapsed = await FirstSuccessAsync(async () =>
        {
            var ex = await Assert.ThrowsAsync<CrmApiException>(() => cluster.Client(node, key).GetMeAsync(Cancel));
            Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        }, since);
        Assert.True(elapsed < OneSecond, $"Node {node} still took {what} {elapsed.TotalMilliseconds:F0} ms after the change on node 1.");
    }

    /// <summary>Runs <paramref name="check"/> until it passes (at most 5 s); returns the elapsed time of <paramref name="since"/> when it first passed.</summary>
    private static async Task<TimeSpan> FirstSuccessAsync(Func<Task> check, Stopwatch since)
    {
        while (true)
        {
            var sentAt = since.Elapsed;
            try
            {
                await check();
                return sentAt;
            }
            catch (Exception) when (since.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(20, Cancel);
            }
        }
    }

    private static async Task<T> WithinASecondAsync<T>(Func<Task<T>> action, string what)
    {
        var since = Stopwatch.StartNew();
        T result = default!;
        var elapsed = await FirstSuccessAsync(async () => result = await action(), since);
        Assert.True(elapsed < OneSecond, $"Waited {elapsed.TotalMilliseconds:F0} ms for {what}.");
        return result;
    }
}
