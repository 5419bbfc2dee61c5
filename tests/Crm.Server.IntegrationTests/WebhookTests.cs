using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine.Client;
using Crm.Plugins.Testing;

using Crm.Testing.Http;

namespace Crm.Server.IntegrationTests;

/// <summary>The Webhooks plugin, loaded from a plugins folder: signed deliveries, retries, dead letters and replay.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly TestPluginFolder _plugins = new TestPluginFolder().AddFirstParty("Crm.Plugins.Webhooks", "Webhooks");
    private readonly HttpSink _receiver = new();
    private CrmServerInstance _server = null!;
    private TenantScope _tenant = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await CrmServerInstance.StartAsync(_data.Path, CrmServerInstance.NewKey(), TestContext.Current.CancellationToken,
            $"--Crm:Plugins:Folder={_plugins.Path}", "--Crm:Coordination:OutboxBackoff=00:00:00.050", "--Crm:Coordination:OutboxMaxAttempts=3");
        _tenant = await _server.NewTenantAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
        _plugins.Dispose();
        _data.Dispose();
    }

    private async Task<string> SubscribeAsync(string id, string path, params string[] events)
    {
        var created = await _server.SendAsync(HttpMethod.Put, $"api/v1/plugins/Webhooks/subscriptions/{id}", _tenant.AdminKey,
            new JsonObject { ["url"] = _receiver.Url(path), ["events"] = new JsonArray([.. events.Select(e => (JsonNode)e)]) }.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return created.Json["secret"]!.GetValue<string>();
    }

    /// <summary>The receiver's check, as docs/plugins/webhooks recipe describes it.</summary>
    private static bool Verify(string secret, HttpSink.Received r)
    {
        var id = r.Headers["webhook-id"]!;
        var timestamp = long.Parse(r.Headers["webhook-timestamp"]!, System.Globalization.CultureInfo.InvariantCulture);
        if (Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp) > 300) return false;
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{r.Body}")));
        return r.Headers["webhook-signature"]!.Split(' ').Contains(expected);
    }

    [Fact]
    public async Task A_subscribed_event_arrives_signed_and_others_do_not()
    {
        var secret = await SubscribeAsync("deals", "/deals", "deal.stageChanged");
        var deal = await _tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Initech", ["amount"] = 500 });
        await _tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Not subscribed" });

        await Eventually.TrueAsync(() => Task.FromResult(!_receiver.Requests.IsEmpty), TimeSpan.FromSeconds(30), "the delivery");
        var delivery = Assert.Single(_receiver.Requests);
        Assert.True(Verify(secret, delivery), "the signature does not verify");
        Assert.False(Verify(secret, delivery with { Body = delivery.Body.Replace("prospecting", "won", StringComparison.Ordinal) }));
        var body = JsonNode.Parse(delivery.Body)!;
        Assert.Equal(("deal.stageChanged", deal.Id, "prospecting"), ((string?)body["type"], (string?)body["record"]!["id"], (string?)body["data"]!["to"]));

        var listed = await _server.SendAsync(HttpMethod.Get, "api/v1/plugins/Webhooks/subscriptions", _tenant.AdminKey);
        Assert.Null(Assert.Single(listed.Json["items"]!.AsArray())!["secret"]);
    }

    [Fact]
    public async Task A_failing_receiver_gets_retries_with_one_id_then_a_dead_letter_that_a_replay_delivers()
    {
        var secret = await SubscribeAsync("flaky", "/flaky", "contact.*");
        var failing = true;
        _receiver.Answer = (r, _) => r.Path == "/flaky" && Volatile.Read(ref failing) ? HttpStatusCode.InternalServerError : HttpStatusCode.OK;

        await _tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Retry" });

        JsonObject? letter = null;
        await Eventually.TrueAsync(async () =>
        {
            var letters = await _server.SendAsync(HttpMethod.Get, "api/v1/plugins/Webhooks/dead-letters", _tenant.AdminKey);
            letter = letters.Json["items"]!.AsArray().OfType<JsonObject>().FirstOrDefault();
            return letter is not null;
        }, TimeSpan.FromSeconds(30), "a dead letter");
        var attempts = _receiver.Requests.Where(r => r.Path == "/flaky").ToList();
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(a => a.Headers["webhook-id"]).Distinct());
        Assert.Contains("500", letter!["lastError"]!.GetValue<string>());

        Volatile.Write(ref failing, false);
        var replay = await _server.SendAsync(HttpMethod.Post, $"api/v1/plugins/Webhooks/dead-letters/{letter["id"]}/replay", _tenant.AdminKey);
        Assert.Equal(HttpStatusCode.Accepted, replay.Status);
        await Eventually.TrueAsync(() => Task.FromResult(_receiver.Requests.Count(r => r.Path == "/flaky") == 4), TimeSpan.FromSeconds(30), "the replayed delivery");
        var replayed = _receiver.Requests.Last(r => r.Path == "/flaky");
        Assert.Equal(attempts[0].Headers["webhook-id"], replayed.Headers["webhook-id"]);
        Assert.True(Verify(secret, replayed));
        var left = await _server.SendAsync(HttpMethod.Get, "api/v1/plugins/Webhooks/dead-letters", _tenant.AdminKey);
        Assert.Empty(left.Json["items"]!.AsArray());
    }

    [Fact]
    public async Task Subscriptions_are_for_admins_and_a_bad_one_is_refused_naming_the_field()
    {
        var agent = await _tenant.AddUserAsync(ApiRole.Agent);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.SendAsync(HttpMethod.Get, "api/v1/plugins/Webhooks/subscriptions", agent.Key)).Status);
        var bad = await _server.SendAsync(HttpMethod.Put, "api/v1/plugins/Webhooks/subscriptions/x", _tenant.AdminKey, """{"url":"ftp://nope","events":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.NotNull(bad.Json["errors"]!["url"]);
        Assert.NotNull(bad.Json["errors"]!["events"]);
    }
}
