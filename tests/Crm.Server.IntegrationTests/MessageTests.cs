using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;
using Crm.Engine.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Server.IntegrationTests;

/// <summary>Outbound messages over HTTP: queueing, refusals, the suppression list, unsubscribe links.</summary>
public sealed class MessageTests(CrmServerFixture fixture)
{
    private static readonly string Secret = "unsubscribe-secret-for-the-message-tests";

    [Fact]
    public async Task A_message_is_queued_and_without_consent_the_contacts_history_says_it_was_blocked()
    {
        var tenant = await fixture.NewTenantAsync();
        var ann = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ann", ["email"] = "ann@example.com" });

        var queued = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/contacts/{ann.Id}/messages", tenant.AdminKey,
            """{"channel":"email","purpose":"marketing","subject":"Hi {{ contact.firstName }}","body":"Spring sale"}""");

        Assert.Equal(HttpStatusCode.Accepted, queued.Status);
        var messageId = queued.Json["messageId"]!.GetValue<string>();
        JsonObject? blocked = null;
        await Eventually.TrueAsync(async () =>
        {
            var history = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{ann.Id}/history", tenant.AdminKey);
            blocked = history.Json["items"]!.AsArray().OfType<JsonObject>().FirstOrDefault(e => e["type"]!.GetValue<string>() == "contact.messageBlocked");
            return blocked is not null;
        }, TimeSpan.FromSeconds(30), "the message's outcome");
        Assert.Equal(messageId, blocked!["data"]!["messageId"]!.GetValue<string>());
        Assert.Contains("consent", blocked["data"]!["reason"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var requested = (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{ann.Id}/history", tenant.AdminKey))
            .Json["items"]!.AsArray().OfType<JsonObject>().Single(e => e["type"]!.GetValue<string>() == "contact.messageRequested");
        Assert.Equal("Hi Ann", requested["data"]!["subject"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"channel":"email","body":"x"}""", "purpose")]
    [InlineData("""{"channel":"email","purpose":"marketing"}""", "body")]
    [InlineData("""{"channel":"email","purpose":"marketing","body":"{{ contact.firstName"}""", "body")]
    [InlineData("""{"channel":"email","purpose":"nonsense","body":"x"}""", "purpose")]
    [InlineData("""{"channel":"email","purpose":"marketing","body":"x","colour":"red"}""", "colour")]
    [InlineData("""{"channel":"email","purpose":"marketing","body":"x","to":"not an address"}""", "to")]
    public async Task A_bad_message_is_a_400_naming_the_field_and_queues_nothing(string body, string field)
    {
        var tenant = await fixture.NewTenantAsync();
        var bo = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Bo", ["email"] = "bo@example.com" });

        var refused = await fixture.Server.SendAsync(HttpMethod.Post, $"api/v1/contacts/{bo.Id}/messages", tenant.AdminKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.NotNull(refused.Json["errors"]![field]);
        var history = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{bo.Id}/history", tenant.AdminKey);
        Assert.DoesNotContain(history.Json["items"]!.AsArray(), e => e!["type"]!.GetValue<string>().StartsWith("contact.message", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Admins_keep_the_suppression_list_and_others_may_not()
    {
        var tenant = await fixture.NewTenantAsync();
        var put = await fixture.Server.SendAsync(HttpMethod.Put, "api/v1/messages/suppressions/email/Bounce@Example.com", tenant.AdminKey, """{"reason":"mailbox gone"}""");
        Assert.Equal(HttpStatusCode.OK, put.Status);
        Assert.Equal("bounce@example.com", put.Json["address"]!.GetValue<string>());

        var list = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/messages/suppressions?channel=email", tenant.AdminKey);
        Assert.Equal("mailbox gone", Assert.Single(list.Json["items"]!.AsArray())!["reason"]!.GetValue<string>());

        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/messages/suppressions", agent.Key)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Server.SendAsync(HttpMethod.Delete, "api/v1/messages/suppressions/email/bounce@example.com", tenant.AdminKey)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Server.SendAsync(HttpMethod.Delete, "api/v1/messages/suppressions/email/bounce@example.com", tenant.AdminKey)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Server.SendAsync(HttpMethod.Put, "api/v1/messages/suppressions/email/x", tenant.AdminKey, "{}")).Status);
    }

    [Fact]
    public async Task An_unsubscribe_link_shows_a_page_and_one_click_withdraws_the_consent_it_names()
    {
        using var directory = new TempDirectory();
        await using var server = await CrmServerInstance.StartAsync(directory.Path, CrmServerInstance.NewKey(), TestContext.Current.CancellationToken,
            "--Crm:Messaging:PublicBaseUrl=https://crm.example.test", $"--Crm:Messaging:LinkSecret={Secret}");
        var tenant = await server.NewTenantAsync(TestContext.Current.CancellationToken);
        var cy = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Cy", ["email"] = "cy@example.com" });
        await server.SendAsync(HttpMethod.Put, $"api/v1/contacts/{cy.Id}/consent/newsletter/email", tenant.AdminKey, """{"status":"granted","source":"signup form"}""");
        var links = server.App.Services.GetRequiredService<UnsubscribeLinks>();
        var token = links.Token(new UnsubscribeRequest(tenant.Id, cy.Id, "newsletter", "email", "cy@example.com", "msg-1"));

        var page = await server.SendAsync(HttpMethod.Get, $"u/{token}", null);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("cy@example.com", page.Body);
        var tampered = await server.SendAsync(HttpMethod.Post, $"u/{token[..^2]}xx", null);
        Assert.Equal(HttpStatusCode.NotFound, tampered.Status);

        var done = await server.SendAsync(HttpMethod.Post, $"u/{token}", null, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.OK, done.Status);
        await server.SendAsync(HttpMethod.Post, $"u/{token}", null, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");

        var check = await server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{cy.Id}/consent/check?address=cy@example.com&purpose=newsletter&channel=email", tenant.AdminKey);
        Assert.False(check.Json["allowed"]!.GetValue<bool>());
        Assert.Equal("withdrawn", check.Json["status"]!.GetValue<string>());
        Assert.Equal("unsubscribe link", check.Json["decidingEntry"]!["source"]!.GetValue<string>());
        var history = await server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{cy.Id}/history", tenant.AdminKey);
        // Granted, then withdrawn once: the second click changed nothing.
        Assert.Equal(2, history.Json["items"]!.AsArray().Count(e => e!["type"]!.GetValue<string>() == "contact.consentRecorded"));
    }
}
