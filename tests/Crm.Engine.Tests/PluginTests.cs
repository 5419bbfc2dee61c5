using System.Text.Json.Nodes;
using Crm.Engine.Messaging;
using Crm.Engine.Plugins;
using Crm.Engine.Rules;
using Crm.Engine.Testing;
using Crm.Plugins.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Engine.Tests;

/// <summary>
/// One engine with a plugins folder holding the sample plugin, a flaky test plugin and one broken plugin of every
/// kind; each is loaded (or refused) by the plugin loader from its folder, as a host would.
/// </summary>
public sealed class PluginTests : IAsyncLifetime
{
    private readonly TestPluginFolder _folder = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PluginCatalog Catalog => _crm.Services.GetRequiredService<PluginCatalog>();

    public async ValueTask InitializeAsync()
    {
        _folder.AddSample()
            .AddTestPlugin("Flaky", "FlakyPlugin")
            .AddTestPlugin("Throwing", "ThrowingPlugin")
            .AddTestPlugin("RuleClash", "RuleClashPlugin")
            .AddTestPlugin("Future", "FlakyPlugin", minEngineVersion: "99.0.0")
            .AddMissingDependency()
            .AddManifestOnly("NotJson", "{ this is not json")
            .AddManifestOnly("NoEntryType", """{ "name": "NoEntryType", "version": "1.0.0", "assembly": "NoEntryType.dll" }""")
            .AddManifestOnly("BadVersion", """{ "name": "BadVersion", "version": "one", "assembly": "x.dll", "entryType": "X" }""");
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CustomPlugin:Path"] = _folder.File("messages.jsonl"),
            ["Flaky:Path"] = _folder.File("flaky-calls.txt"),
        }).Build();
        _crm = await CrmTestEngine.StartAsync(configure: o =>
        {
            o.Plugins.Folder = _folder.Path;
            o.Plugins.Configuration = settings;
            o.Plugins.TimeProvider = _clock;
            o.Plugins.ConnectorFailureThreshold = 3;
            o.Plugins.ConnectorBreakDuration = TimeSpan.FromSeconds(30);
        }, cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task The_sample_plugin_loads_from_its_folder_and_its_rule_tags_partner_contacts()
    {
        var sample = Catalog.Find("CustomPlugin")!;
        Assert.Equal(PluginState.Loaded, sample.State);
        Assert.Equal("1.0.0", sample.Version);
        Assert.Equal(["log"], sample.Connectors);
        Assert.Equal(["custom-plugin.partner-tag"], sample.Rules);
        Assert.Empty(sample.Faults);

        var crm = _crm.ForTenant("t" + Guid.NewGuid().ToString("N")[..12]);
        var partner = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Pat", ["source"] = "partner" });
        var direct = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Dee", ["source"] = "website" });

        Assert.Contains("partner", partner.Fields["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Null(direct.Fields["tags"]);
        // An enrich rule: the tag is written in the same append as the contact, attributed to the rule.
        var history = (await crm.GetHistoryAsync(RecordTypes.Contact, partner.Id)).Items;
        Assert.Equal(["record.created", "record.updated"], history.Select(e => e.Type));
        Assert.Equal(Actor.Rule("custom-plugin.partner-tag", 1), history[1].Actor);
        Assert.Equal(history[0].Position, history[1].Position - 1);
    }

    [Fact]
    public async Task The_sample_connector_appends_each_message_as_a_json_line_and_refuses_an_impossible_address()
    {
        var log = Connector("log");
        await log.SendAsync(Message("msg-1", "log", "ann@example.com"), Ct);
        await log.SendAsync(Message("msg-2", "log", "+442079460958"), Ct);

        var lines = await File.ReadAllLinesAsync(_folder.File("messages.jsonl"), Ct);
        Assert.Equal(["msg-1", "msg-2"], lines.Select(l => (string?)JsonNode.Parse(l)!["messageId"]));
        Assert.Equal("ann@example.com", (string?)JsonNode.Parse(lines[0])!["to"]);

        var refused = await Assert.ThrowsAsync<PermanentDeliveryException>(() => log.SendAsync(Message("msg-3", "log", "nobody"), Ct));
        Assert.Contains("neither an email address nor a phone number", refused.Message);
    }

    [Fact]
    public void Broken_plugins_are_reported_with_their_reason_and_skipped()
    {
        AssertFailed("Throwing", PluginStatus.ConfigureServicesReason, "no licence key in Crm:Plugins:Throwing:LicenceKey");
        AssertFailed("MissingDependency", PluginStatus.MissingDependencyReason, "Crm.TestPlugins.Unshipped");
        AssertFailed("Future", PluginStatus.EngineVersionReason, "needs engine 99.0.0 or newer; this engine is 1.0.0");
        AssertFailed("NotJson", PluginStatus.ManifestReason, "plugin.json is not a valid manifest");
        AssertFailed("NoEntryType", PluginStatus.ManifestReason, "plugin.json: entryType is missing");
        AssertFailed("BadVersion", PluginStatus.ManifestReason, "version 'one' is not a version");
        Assert.Equal(["BadVersion", "CustomPlugin", "Flaky", "Future", "MissingDependency", "NoEntryType", "NotJson", "RuleClash", "Throwing"],
            Catalog.Plugins.Select(p => p.Name));
        Assert.Equal(["CustomPlugin", "Flaky", "RuleClash"], Catalog.Loaded.Select(p => p.Name).Order());

        // Nothing of a failed plugin reaches the host: the throwing plugin registered a service before it threw.
        Assert.DoesNotContain(_crm.Services.GetServices<IMessageConnector>(), c => c.Channel == "unavailable:Throwing");
    }

    [Fact]
    public async Task A_connector_that_keeps_failing_opens_its_circuit_fails_fast_and_closes_after_the_break()
    {
        var flaky = Connector("flaky");
        var calls = _folder.File("flaky-calls.txt");
        int Calls() => File.Exists(calls) ? File.ReadAllLines(calls).Length : 0;

        for (var i = 0; i < 3; i++)
        {
            var failed = await Assert.ThrowsAsync<PluginConnectorException>(() => flaky.SendAsync(Message($"f{i}", "flaky", "fail@example.com"), Ct));
            Assert.Contains("plugin 'Flaky' failed: IOException: gateway unreachable", failed.Message);
        }

        // Open: the plugin is not called, the send fails at once saying until when.
        var paused = await Assert.ThrowsAsync<ConnectorUnavailableException>(() => flaky.SendAsync(Message("ok-1", "flaky", "ann@example.com"), Ct));
        Assert.Equal(3, Calls());
        Assert.Equal(_clock.GetUtcNow().AddSeconds(30), paused.RetryAfter);
        Assert.Contains("paused after repeated failures", paused.Message);
        Assert.Contains("gateway unreachable", paused.Message);

        // After the break one send is let through; it works, so the circuit closes.
        _clock.Advance(TimeSpan.FromSeconds(31));
        await flaky.SendAsync(Message("ok-2", "flaky", "ann@example.com"), Ct);
        Assert.Equal(4, Calls());
        await Assert.ThrowsAsync<PluginConnectorException>(() => flaky.SendAsync(Message("f4", "flaky", "fail@example.com"), Ct));
        await flaky.SendAsync(Message("ok-3", "flaky", "ann@example.com"), Ct);

        // A permanent failure is the remote's answer about one message: it passes through and opens nothing.
        for (var i = 0; i < 4; i++)
        {
            var bounced = await Assert.ThrowsAsync<PermanentDeliveryException>(() => flaky.SendAsync(Message($"b{i}", "flaky", "bounce@example.com"), Ct));
            Assert.True(bounced.SuppressAddress);
        }

        await flaky.SendAsync(Message("ok-4", "flaky", "ann@example.com"), Ct);
        Assert.Equal(11, Calls());
    }

    [Fact]
    public async Task A_plugin_rule_that_throws_is_a_rule_failure_naming_the_plugin_and_the_write_stands()
    {
        var crm = _crm.ForTenant("t" + Guid.NewGuid().ToString("N")[..12]);
        var contact = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Boom", ["source"] = "explode" });

        Assert.NotNull(await crm.GetAsync(RecordTypes.Contact, contact.Id));
        var health = _crm.Services.GetRequiredService<RuleHealth>();
        await Eventually.TrueAsync(() => Task.FromResult(health.Report(crm.Tenant, "flaky.explode")?.LastError is not null));
        var error = health.Report(crm.Tenant, "flaky.explode")!.LastError!;
        Assert.Contains("Rule 'flaky.explode' of plugin 'Flaky' threw in Then: InvalidOperationException: kaboom", error);
    }

    [Fact]
    public async Task A_bad_rule_and_a_crashing_hosted_service_of_a_plugin_are_reported_while_its_other_parts_and_the_engine_run()
    {
        await Eventually.TrueAsync(() => Task.FromResult(Catalog.Find("Flaky")!.Faults.Count == 2));
        var flaky = Catalog.Find("Flaky")!;
        Assert.Equal(PluginState.Loaded, flaky.State);
        Assert.Equal(["flaky"], flaky.Connectors);
        Assert.Equal(["flaky.explode"], flaky.Rules);
        Assert.Contains(flaky.Faults, f => f.Contains("a rule could not be created", StringComparison.Ordinal)
            && f.Contains("'Not A Rule Id' is not a rule id", StringComparison.Ordinal));
        Assert.Contains("hosted service CrashingService stopped with an error: InvalidOperationException: the poller lost its connection", flaky.Faults);

        var contact = await _crm.ForTenant("t" + Guid.NewGuid().ToString("N")[..12]).CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Still" });
        Assert.Equal("Still", (string?)contact.Fields["firstName"]);
    }

    [Fact]
    public void A_rule_id_another_plugin_took_first_is_refused_and_both_plugins_stay_loaded()
    {
        var clash = Catalog.Find("RuleClash")!;
        Assert.Equal(PluginState.Loaded, clash.State);
        Assert.Empty(clash.Rules);
        Assert.Contains(clash.Faults, f => f.Contains("rule id 'flaky.explode' is taken by plugin 'Flaky'", StringComparison.Ordinal));
        Assert.Equal(["flaky.explode"], Catalog.Find("Flaky")!.Rules);
        Assert.Single(_crm.Services.GetServices<ICrmRule>(), r => r.Id == "flaky.explode");
    }

    private void AssertFailed(string name, string reason, string error)
    {
        var status = Catalog.Find(name);
        Assert.NotNull(status);
        Assert.Equal(PluginState.Failed, status.State);
        Assert.Equal(reason, status.Reason);
        Assert.Contains(error, status.Error);
    }

    private IMessageConnector Connector(string channel) => _crm.Services.GetServices<IMessageConnector>().Single(c => c.Channel == channel);

    private static OutboundMessage Message(string id, string channel, string to) => new()
    {
        MessageId = id,
        Tenant = "default",
        Channel = channel,
        Purpose = "service",
        ContactId = "c1",
        To = to,
        Subject = "Hello",
        Body = "Your case was updated.",
    };
}
