using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Storage;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Tests;

/// <summary>
/// A small consumer that welcomes every new contact (tags it) through the outbox: decisions are stored with the
/// checkpoint, each is executed until it succeeds, and an effect retried after it was applied is not applied twice.
/// </summary>
public sealed class LogSubscriptionTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "crm-subscription-" + Guid.NewGuid().ToString("N"));
    private readonly WelcomeConsumer _consumer = new();
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _crm = await StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private Task<CrmTestEngine> StartAsync() => CrmTestEngine.StartAsync(
        _directory,
        o => o.Coordination.OutboxBackoff = TimeSpan.FromMilliseconds(50),
        services => services.AddCrmLogConsumer(sp =>
        {
            _consumer.Client = sp.GetRequiredService<ICrmClient>();
            return _consumer;
        }),
        Ct);

    private Task WelcomedAsync(string id) =>
        Eventually.TrueAsync(async () => (await _crm.Client.GetAsync(RecordTypes.Contact, id))?.Fields["tags"] is JsonArray { Count: > 0 });

    private Task AllDoneAsync(int rows) =>
        Eventually.TrueAsync(async () =>
        {
            var all = await OutboxAsync();
            Assert.True(all.Count <= rows, $"{all.Count} outbox rows, expected {rows}");
            return all.Count == rows && all.All(r => r.Status == OutboxStatus.Done);
        });

    private Task<IReadOnlyList<OutboxEntry>> OutboxAsync() => _crm.Store.Coordination.ListOutboxAsync(WelcomeConsumer.SubscriptionName, 0, 1000, Ct);

    [Fact]
    public async Task Every_new_contact_is_welcomed_once_through_the_outbox()
    {
        var contacts = new List<CrmRecord>();
        for (var i = 0; i < 5; i++)
        {
            contacts.Add(await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Guest " + i }));
        }

        foreach (var contact in contacts)
        {
            await WelcomedAsync(contact.Id);
        }

        // A row is marked done just after its effect is applied.
        await AllDoneAsync(5);
        var rows = await OutboxAsync();
        Assert.Equal(contacts.Select(c => c.Id).Order(), rows.Select(r => (string)JsonNode.Parse(r.PayloadJson)!["id"]!).Order());
        Assert.All(_consumer.Decisions.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task An_effect_retried_after_it_was_applied_is_not_applied_twice()
    {
        var contact = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Flaky", ["lastName"] = "Network" });
        await WelcomedAsync(contact.Id);

        // The first attempt tagged the contact and then failed, as if the node lost its connection before noting
        // success; the retry ran the same effect again under the same key.
        await AllDoneAsync(1);
        var row = Assert.Single(await OutboxAsync());

        Assert.Equal(2, row.Attempts);
        Assert.Equal(2, _consumer.Executions[row.Key]);
        var history = await _crm.Client.GetHistoryAsync(RecordTypes.Contact, contact.Id);
        Assert.Single(history.Items, e => e.Type == "record.updated");
    }

    [Fact]
    public async Task A_subscription_carries_on_from_its_checkpoint_after_a_restart()
    {
        var before = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Before" });
        await WelcomedAsync(before.Id);
        await _crm.RestartAsync(Ct);

        var after = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "After" });
        await WelcomedAsync(after.Id);

        await AllDoneAsync(2);
        Assert.All(_consumer.Decisions.Values, count => Assert.Equal(1, count));
        Assert.True(await _crm.Store.Coordination.GetCheckpointAsync(WelcomeConsumer.SubscriptionName, Ct) >= (await _crm.Store.GetHeadPositionAsync(Ct)) - 2);
    }

    /// <summary>Tags each created contact "welcomed"; the first attempt for a contact named "Flaky" fails after applying.</summary>
    private sealed class WelcomeConsumer : ILogConsumer
    {
        public const string SubscriptionName = "test.welcome";

        /// <summary>How often each event was decided on (across restarts: the instance outlives the engine).</summary>
        public ConcurrentDictionary<Guid, int> Decisions { get; } = new();

        public ConcurrentDictionary<string, int> Executions { get; } = new();

        public string Name => SubscriptionName;

        public ICrmClient Client { get; set; } = null!;

        public Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken)
        {
            var outbox = new List<OutboxMessage>();
            foreach (var e in events)
            {
                Decisions.AddOrUpdate(e.EventId, 1, (_, n) => n + 1);
                if (e.Type != "record.created" || !e.StreamId.StartsWith("contact/", StringComparison.Ordinal)) continue;
                var fields = JsonNode.Parse(e.PayloadJson)!["fields"]!;
                outbox.Add(new OutboxMessage
                {
                    Key = e.EventId.ToString("N"),
                    Kind = "contact.welcome",
                    Tenant = e.Tenant,
                    SourceEventId = e.EventId,
                    PayloadJson = new JsonObject { ["id"] = e.StreamId["contact/".Length..], ["flaky"] = (string?)fields["firstName"] == "Flaky" }.ToJsonString(),
                });
            }

            return Task.FromResult<IReadOnlyList<OutboxMessage>>(outbox);
        }

        public async Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken)
        {
            var attempt = Executions.AddOrUpdate(entry.Key, 1, (_, n) => n + 1);
            var payload = JsonNode.Parse(entry.PayloadJson)!;
            await Client.ForTenant(entry.Tenant).UpdateAsync(
                RecordTypes.Contact,
                (string)payload["id"]!,
                new JsonObject { ["tags"] = new JsonArray("welcomed") },
                new WriteOptions { EffectKey = entry.EffectKey, CausationId = entry.SourceEventId?.ToString() });
            if ((bool)payload["flaky"]! && attempt == 1)
            {
                throw new IOException("connection reset after the effect was applied");
            }
        }
    }
}
