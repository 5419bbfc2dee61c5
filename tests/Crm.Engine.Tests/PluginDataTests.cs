using System.Text.Json.Nodes;
using Crm.Engine.Storage;
using Crm.Engine.Testing;

namespace Crm.Engine.Tests;

/// <summary>A plugin's own data per tenant: values by key, audited as a stream, kept across restarts, refused when malformed.</summary>
public sealed class PluginDataTests : IAsyncLifetime
{
    private CrmTestEngine _crm = null!;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _crm.DisposeAsync();

    [Fact]
    public async Task Values_are_kept_per_tenant_and_plugin_with_their_history_and_survive_a_restart()
    {
        var hooks = _crm.Client.PluginData("Webhooks");
        await hooks.SetAsync("sub-1", new JsonObject { ["url"] = "https://example.test/a", ["events"] = new JsonArray("deal.stageChanged") });
        await hooks.SetAsync("sub-2", new JsonObject { ["url"] = "https://example.test/b" });
        await hooks.SetAsync("sub-1", new JsonObject { ["url"] = "https://example.test/a2" });
        Assert.True(await hooks.RemoveAsync("sub-2"));
        Assert.False(await hooks.RemoveAsync("sub-2"));

        Assert.Null(await _crm.ForTenant("acme").PluginData("Webhooks").GetAsync("sub-1"));
        Assert.Empty(await _crm.Client.PluginData("Forms").ListAsync());

        await _crm.RestartAsync(TestContext.Current.CancellationToken);
        var all = await _crm.Client.PluginData("Webhooks").ListAsync();
        Assert.Equal("https://example.test/a2", (string?)Assert.Single(all)!.Value["url"]);
        var stream = await _crm.Store.ReadStreamAsync(_crm.Client.Tenant, StreamIds.ForPluginData("Webhooks"));
        Assert.Equal(["plugin.dataSet", "plugin.dataSet", "plugin.dataSet", "plugin.dataRemoved"], stream.Select(e => e.Type));
    }

    [Fact]
    public async Task A_bad_key_or_plugin_name_is_refused_naming_it()
    {
        var data = _crm.Client.PluginData("Forms");
        Assert.Equal("key", Assert.Single((await Assert.ThrowsAsync<ValidationException>(() => data.SetAsync("has space", []))).Errors).Field);
        Assert.Equal("plugin", Assert.Single(Assert.Throws<ValidationException>(() => _crm.Client.PluginData("../etc")).Errors).Field);
        var big = new JsonObject { ["x"] = new string('a', 70_000) };
        Assert.Equal("value", Assert.Single((await Assert.ThrowsAsync<ValidationException>(() => data.SetAsync("big", big))).Errors).Field);
    }
}
