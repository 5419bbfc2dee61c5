using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Cluster.Tests;

/// <summary>Merges, duplicates and stage requirements through different nodes of one cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterMergeTests(ThreeNodeCluster cluster)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_merge_through_one_node_moves_links_and_every_node_redirects_the_old_id()
    {
        var key = await cluster.NewTenantKeyAsync();
        var survivor = await cluster.Client(1, key).Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["lastName"] = "Lovelace", ["phone"] = "+1 650 253 0000" }, cancellationToken: Cancel);
        var merged = await cluster.Client(2, key).Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["lastName"] = "Lovelace", ["phone"] = "650 253 0000", ["email"] = "ada@y.com" }, cancellationToken: Cancel);
        var call = await cluster.Client(3, key).Interactions.CreateAsync(new JsonObject { ["kind"] = "call" }, cancellationToken: Cancel);
        await cluster.Client(3, key).Interactions.LinkAsync(call.Id, "contact", merged.Id, cancellationToken: Cancel);

        var duplicates = await cluster.Client(3, key).Contacts.GetDuplicatesAsync(survivor.Id, Cancel);
        Assert.Equal(merged.Id, duplicates["items"]![0]!["record"]!["id"]!.GetValue<string>());

        var result = await cluster.Client(2, key).Contacts.MergeAsync(survivor.Id, merged.Id, Cancel);
        Assert.Equal("ada@y.com", result["survivor"]!["email"]!.GetValue<string>());
        for (var node = 1; node <= 3; node++)
        {
            var client = cluster.Client(node, key);
            Assert.Equal(survivor.Id, (await client.Contacts.GetAsync(merged.Id, cancellationToken: Cancel)).Id);
            Assert.Equal(survivor.Id, Assert.Single((await client.Interactions.GetAsync(call.Id, cancellationToken: Cancel)).Links).Id);
        }
    }

    [Fact]
    public async Task Required_fields_set_through_one_node_refuse_writes_through_the_others()
    {
        var key = await cluster.NewTenantKeyAsync();
        await cluster.Client(1, key).Settings.ChangeGeneralAsync(
            JsonNode.Parse("""{ "requiredFields": { "contact": { "customer": ["email"] } } }""")!.AsObject(), Cancel);
        for (var node = 2; node <= 3; node++)
        {
            var client = cluster.Client(node, key);
            var contact = await client.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Cleo" }, cancellationToken: Cancel);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            CrmApiException? refused = null;
            while (refused is null && DateTime.UtcNow < deadline)
            {
                try
                {
                    await client.Contacts.PatchAsync(contact.Id, new JsonObject { ["lifecycleStage"] = "customer" }, cancellationToken: Cancel);
                    await client.Contacts.PatchAsync(contact.Id, new JsonObject { ["lifecycleStage"] = "lead" }, cancellationToken: Cancel);
                }
                catch (CrmApiException ex)
                {
                    refused = ex;
                }
            }

            Assert.NotNull(refused);
            Assert.Equal(400, (int)refused.StatusCode);
            Assert.Contains("email", refused.Body);
        }
    }
}
