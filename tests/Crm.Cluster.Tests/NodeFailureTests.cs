using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;
using Crm.Server.IntegrationTests;

namespace Crm.Cluster.Tests;

/// <summary>A node that dies loses no acknowledged write and comes back; a rolling restart fails no request beyond retries.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeFailureTests(ThreeNodeCluster cluster)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_acknowledged_write_survives_a_killed_node_which_then_rejoins_and_serves()
    {
        var key = await cluster.NewTenantKeyAsync();
        var acknowledged = new ConcurrentDictionary<string, string>(); // id -> email
        var failed = 0;
        using var stopLoad = new CancellationTokenSource();

        // Eight writers, each sending to every node in turn, straight at the node (no retries): what a node answered
        // 201 to is acknowledged.
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stopLoad.IsCancellationRequested; i++)
            {
                var node = 1 + (w + i) % 3;
                var email = $"w{w}.{i}@load.example.com";
                try
                {
                    var created = await cluster.Client(node, key).Contacts.CreateAsync(
                        new JsonObject { ["firstName"] = "Load", ["lastName"] = $"W{w}", ["email"] = email }, cancellationToken: stopLoad.Token);
                    acknowledged[created.Id] = email;
                }
                catch (Exception ex) when (ex is HttpRequestException or CrmApiException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToArray();

        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= 100), TimeSpan.FromSeconds(60), "100 acknowledged writes before the kill");
        await cluster[2].KillAsync();
        var beforeKill = acknowledged.Count;
        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= beforeKill + 100), TimeSpan.FromSeconds(60), "100 acknowledged writes after the kill");
        await stopLoad.CancelAsync();
        await Task.WhenAll(writers);

        // Every acknowledged write reads back through the survivors, once they have declared the dead node dead
        // (its grains move then).
        var survivors = new[] { cluster.Client(1, key), cluster.Client(3, key) };
        var missing = acknowledged.ToDictionary();
        var clock = Stopwatch.StartNew();
        await Eventually.TrueAsync(async () =>
        {
            foreach (var (id, email) in missing.ToArray())
            {
                try
                {
                    var read = await survivors[missing.Count % 2].Contacts.GetAsync(id, cancellationToken: Cancel);
                    Assert.Equal(email, read.GetString("email"));
                    missing.Remove(id);
                }
                catch (Exception ex) when (ex is CrmApiException { StatusCode: >= HttpStatusCode.InternalServerError } or HttpRequestException or TaskCanceledException)
                {
                    // Its grain was on the dead node and has not moved yet.
                }
            }

            return missing.Count == 0;
        }, TimeSpan.FromSeconds(60), $"the acknowledged writes to read back through the survivors ({missing.Count} left)");
        TestContext.Current.SendDiagnosticMessage(
            $"{acknowledged.Count} acknowledged, {failed} refused or cut off; all read back through the survivors in {clock.Elapsed.TotalSeconds:F1} s");

        // The node rejoins on its old ports and serves reads and writes again.
        await cluster[2].StartAsync(Cancel);
        var sample = acknowledged.Keys.Take(20).ToList();
        foreach (var id in sample)
        {
            Assert.Equal(acknowledged[id], (await cluster.Client(2, key).Contacts.GetAsync(id, cancellationToken: Cancel)).GetString("email"));
        }

        var written = await cluster.Client(2, key).Contacts.CreateAsync(new JsonObject { ["firstName"] = "Back" }, cancellationToken: Cancel);
        Assert.Equal("Back", (await cluster.Client(1, key).Contacts.GetAsync(written.Id, cancellationToken: Cancel)).GetString("firstName"));
        Assert.Equal("Back", (await cluster.Client(3, key).Contacts.GetAsync(written.Id, cancellationToken: Cancel)).GetString("firstName"));
        var listed = await cluster.Client(2, key).Contacts.ListAsync(new ListQuery { Filter = "lastName eq 'W0'", Limit = 1000 }, Cancel);
        // A write cut off by the kill may have committed unacknowledged; every acknowledged one is there.
        var listedIds = listed.Items.Select(r => r.Id).ToHashSet();
        Assert.All(acknowledged.Where(a => a.Value.StartsWith("w0.", StringComparison.Ordinal)), a => Assert.Contains(a.Key, listedIds));
    }

    [Fact]
    public async Task A_rolling_restart_of_every_node_fails_no_request_beyond_retries()
    {
        var key = await cluster.NewTenantKeyAsync();
        var client = new FailoverClient(cluster, key);
        var created = new ConcurrentDictionary<string, string>();
        var failures = new ConcurrentQueue<string>();
        using var stopLoad = new CancellationTokenSource();

        // Four clients create a contact and read it back, through whichever nodes answer.
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stopLoad.IsCancellationRequested; i++)
            {
                var email = $"r{w}.{i}@rolling.example.com";
                try
                {
                    var record = await client.CreateContactAsync(new JsonObject { ["firstName"] = "Rolling", ["email"] = email }, $"rolling-{w}-{i}", Cancel);
                    created[record.Id] = email;
                    Assert.Equal(email, (await client.GetContactAsync(record.Id, Cancel)).GetString("email"));
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"{email}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        })).ToArray();

        try
        {
            foreach (var node in cluster.Nodes)
            {
                var before = created.Count;
                await Eventually.TrueAsync(() => Task.FromResult(created.Count >= before + 20), TimeSpan.FromSeconds(60), $"writes before restarting node {node.Number}");
                await node.StopAsync(TimeSpan.FromSeconds(60));
                await node.StartAsync(Cancel);
            }

            var done = created.Count;
            await Eventually.TrueAsync(() => Task.FromResult(created.Count >= done + 20), TimeSpan.FromSeconds(60), "writes after the rolling restart");
        }
        finally
        {
            await stopLoad.CancelAsync();
            await Task.WhenAll(workers);
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} requests failed after retries:\n{string.Join("\n", failures.Take(10))}\n{cluster.Output()}");
        TestContext.Current.SendDiagnosticMessage($"{created.Count} contacts created across a rolling restart, {client.Retries} attempts retried on another node");
        foreach (var (id, email) in created)
        {
            Assert.Equal(email, (await cluster.Client(1 + id.Length % 3, key).Contacts.GetAsync(id, cancellationToken: Cancel)).GetString("email"));
        }
    }
}
