using System.Net;
using System.Text.Json.Nodes;
using Crm.Plugins.Testing;

using Crm.Testing.Http;

namespace Crm.Server.IntegrationTests;

/// <summary>The Sms plugin, loaded from a plugins folder, against a local HTTP gateway: sends, STOP, failures.</summary>
public sealed class SmsTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly TestPluginFolder _plugins = new TestPluginFolder().AddFirstParty("Crm.Plugins.Sms", "Sms");
    private readonly HttpSink _gateway = new();
    private CrmServerInstance _server = null!;
    private TenantScope _tenant = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await CrmServerInstance.StartAsync(_data.Path, CrmServerInstance.NewKey(), TestContext.Current.CancellationToken,
            $"--Crm:Plugins:Folder={_plugins.Path}",
            $"--Crm:Plugins:Sms:GatewayUrl={_gateway.Url("/send")}",
            "--Crm:Plugins:Sms:From=+15550001111",
            "--Crm:Plugins:Sms:AuthHeader=Authorization: Bearer gw-key",
            "--Crm:Plugins:Sms:InboundSecret=inbound-secret",
            "--Crm:Coordination:OutboxBackoff=00:00:00.050");
        _tenant = await _server.NewTenantAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _gateway.DisposeAsync();
        _plugins.Dispose();
        _data.Dispose();
    }

    private async Task<string> ConsentingContactAsync(string name, string phone)
    {
        var contact = await _tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = name, ["phone"] = phone });
        await _server.SendAsync(HttpMethod.Put, $"api/v1/contacts/{contact.Id}/consent/service/sms", _tenant.AdminKey, """{"status":"granted","source":"checkout"}""");
        return contact.Id;
    }

    private async Task<string> SendAsync(string contactId, string body)
    {
        var queued = await _server.SendAsync(HttpMethod.Post, $"api/v1/contacts/{contactId}/messages", _tenant.AdminKey,
            new JsonObject { ["channel"] = "sms", ["purpose"] = "service", ["body"] = body }.ToJsonString());
        Assert.Equal(HttpStatusCode.Accepted, queued.Status);
        return queued.Json["messageId"]!.GetValue<string>();
    }

    private async Task<JsonObject> OutcomeAsync(string contactId, string messageId)
    {
        JsonObject? outcome = null;
        await Eventually.TrueAsync(async () =>
        {
            var history = await _server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{contactId}/history", _tenant.AdminKey);
            outcome = history.Json["items"]!.AsArray().OfType<JsonObject>().LastOrDefault(e =>
                e["type"]!.GetValue<string>() is "contact.messageSent" or "contact.messageBlocked" or "contact.messageFailed"
                && e["data"]!["messageId"]!.GetValue<string>() == messageId);
            return outcome is not null;
        }, TimeSpan.FromSeconds(30), "the message's outcome");
        return outcome!;
    }

    [Fact]
    public async Task A_text_goes_to_the_gateway_filled_in_with_its_id_and_the_gateways_auth()
    {
        var ada = await ConsentingContactAsync("Ada", "+1 (415) 555-0100");
        var id = await SendAsync(ada, "Hi {{ contact.firstName }}, your order shipped.");

        Assert.Equal("contact.messageSent", (await OutcomeAsync(ada, id))["type"]!.GetValue<string>());
        var request = Assert.Single(_gateway.Requests);
        Assert.Equal(("POST", "/send", "Bearer gw-key", id), (request.Method, request.Path, request.Authorization, request.IdempotencyKey));
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal(("+14155550100", "+15550001111", "Hi Ada, your order shipped.", id),
            ((string?)body["to"], (string?)body["from"], (string?)body["text"], (string?)body["id"]));
    }

    [Fact]
    public async Task A_STOP_reply_withdraws_sms_consent_suppresses_the_number_and_blocks_what_follows()
    {
        var bo = await ConsentingContactAsync("Bo", "+14155550111");
        var wrong = await _server.SendAsync(HttpMethod.Post, $"p/Sms/{_tenant.Id}/inbound?secret=guess", null, """{"from":"+14155550111","text":"STOP"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);

        var stop = await _server.SendAsync(HttpMethod.Post, $"p/Sms/{_tenant.Id}/inbound?secret=inbound-secret", null, """{"from":"+14155550111","text":" stop "}""");
        Assert.Equal("stopped", stop.Json["result"]!.GetValue<string>());

        var check = await _server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{bo}/consent/check?address=%2B14155550111&purpose=service&channel=sms", _tenant.AdminKey);
        Assert.Equal("withdrawn", check.Json["status"]!.GetValue<string>());
        Assert.Equal("SMS STOP", check.Json["decidingEntry"]!["source"]!.GetValue<string>());
        var suppressions = await _server.SendAsync(HttpMethod.Get, "api/v1/messages/suppressions?channel=sms", _tenant.AdminKey);
        Assert.Equal("+14155550111", Assert.Single(suppressions.Json["items"]!.AsArray())!["address"]!.GetValue<string>());

        var outcome = await OutcomeAsync(bo, await SendAsync(bo, "Anything"));
        Assert.Equal("contact.messageBlocked", outcome["type"]!.GetValue<string>());
        Assert.DoesNotContain(_gateway.Requests, r => r.Body.Contains("+14155550111", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_gateway_refusing_the_number_fails_the_message_without_retries()
    {
        var cy = await ConsentingContactAsync("Cy", "+14155550122");
        _gateway.Answer = (r, _) => r.Body.Contains("+14155550122", StringComparison.Ordinal) ? HttpStatusCode.BadRequest : HttpStatusCode.OK;

        var outcome = await OutcomeAsync(cy, await SendAsync(cy, "Hello"));

        Assert.Equal("contact.messageFailed", outcome["type"]!.GetValue<string>());
        Assert.True(outcome["data"]!["permanent"]!.GetValue<bool>());
        Assert.Contains("400", outcome["data"]!["reason"]!.GetValue<string>());
        Assert.Single(_gateway.Requests, r => r.Body.Contains("+14155550122", StringComparison.Ordinal));
    }
}
