using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Engine;
using Crm.Engine.Messaging;

namespace Crm.Plugins.Email.IntegrationTests;

/// <summary>
/// Double opt-in over HTTP: the request records pending consent and mails a signed link; opening it grants the consent
/// once; a forged or altered link changes nothing.
/// </summary>
public sealed partial class DoubleOptInTests(MailServers.MailServers servers) : IAsyncLifetime
{
    private EmailTestBed _bed = null!;

    public async ValueTask InitializeAsync()
    {
        _bed = await EmailTestBed.StartAsync(servers);
        await _bed.StartWebAsync();
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private async Task<HttpResponseMessage> RequestOptInAsync(object body, string role = "Admin")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/plugins/Email/opt-in") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "default:" + role);
        return await _bed.Http.SendAsync(request);
    }

    private async Task<(string MessageId, string Link)> OptInAsync(CrmRecord contact)
    {
        using var response = await RequestOptInAsync(new { contactId = contact.Id, purpose = "newsletter" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("pending", (string?)body["status"]);
        var messageId = (string)body["messageId"]!;
        var mail = (await _bed.Smtp.WaitForAsync(contact.GetString("email")!, m => m.Message.MessageId == $"{messageId}@{EmailTestBed.MessageIdDomain}")).Message;
        return (messageId, ConfirmLink().Match(mail.TextBody!).Value);
    }

    private Task<ConsentDecision> NewsletterConsentAsync(CrmRecord contact) =>
        _bed.Crm.MayContactAsync(contact.Id, contact.GetString("email")!, "newsletter", "email");

    private async Task<int> ConsentEventsAsync(CrmRecord contact) =>
        (await _bed.Crm.GetHistoryAsync(RecordTypes.Contact, contact.Id, limit: 500)).Items.Count(e => e.Type == "contact.consentRecorded");

    [Fact]
    public async Task Consent_stays_pending_until_the_link_is_opened_then_it_is_granted_and_a_second_click_changes_nothing()
    {
        var cy = await _bed.ContactAsync("Cy", _bed.Address("cy"));

        var (messageId, link) = await OptInAsync(cy);

        var pending = await NewsletterConsentAsync(cy);
        Assert.Equal((ConsentStatus.Pending, "double opt-in"), (pending.Status, pending.DecidingEntry?.Source));
        var mail = (await _bed.Smtp.DeliveredToAsync(_bed.Address("cy"))).Single().Message;
        Assert.Equal("Please confirm your subscription", mail.Subject);
        Assert.Contains("Hello Cy,", mail.TextBody);
        Assert.StartsWith($"http://127.0.0.1:{_bed.WebPort}/p/Email/confirm/", link);
        var logged = Assert.Single(await _bed.InteractionsAsync(messageId));
        Assert.Equal(("outbound", "Please confirm your subscription"), (logged.GetString("direction"), logged.GetString("subject")));
        Assert.Equal([cy.Id], logged.Links.Where(l => l.TargetType == RecordTypes.Contact).Select(l => l.TargetId));
        var blocked = await _bed.OutcomeAsync(cy.Id, await _bed.Crm.Messages.SendAsync(cy.Id, new MessageRequest { Channel = "email", Purpose = "newsletter", Subject = "News", Body = "News." }));
        Assert.Equal(("contact.messageBlocked", "Pending"), ((string?)blocked["type"], (string?)blocked["consent"]!["status"]));

        using var confirmed = await _bed.Http.GetAsync(link);

        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Contains("<h1>Confirmed</h1>", await confirmed.Content.ReadAsStringAsync());
        Assert.Equal("no-store", confirmed.Headers.CacheControl?.ToString());
        var granted = await NewsletterConsentAsync(cy);
        Assert.Equal((ConsentStatus.Granted, "double opt-in confirmed"), (granted.Status, granted.DecidingEntry?.Source));
        Assert.Contains(messageId, granted.DecidingEntry!.Proof);
        Assert.Equal(2, await ConsentEventsAsync(cy));

        using var again = await _bed.Http.GetAsync(link);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("Already confirmed", await again.Content.ReadAsStringAsync());
        Assert.Equal(2, await ConsentEventsAsync(cy));
        var sent = await _bed.OutcomeAsync(cy.Id, await _bed.Crm.Messages.SendAsync(cy.Id, new MessageRequest { Channel = "email", Purpose = "newsletter", Subject = "News", Body = "News." }));
        Assert.Equal("contact.messageSent", (string?)sent["type"]);
    }

    [Fact]
    public async Task A_forged_or_altered_link_shows_a_404_page_and_changes_nothing()
    {
        var dee = await _bed.ContactAsync("Dee", _bed.Address("dee"));
        var (messageId, link) = await OptInAsync(dee);
        var token = link[(link.LastIndexOf('/') + 1)..];
        var dot = token.IndexOf('.');
        var payload = JsonSerializer.Deserialize<string[]>(FromBase64Url(token[..dot]))!;

        // Another contact's consent, signed with a guessed secret; the same payload with another signature; the payload altered.
        var otherContact = (string[])payload.Clone();
        otherContact[1] = "someone-else";
        var forged = Token(otherContact, "not-the-secret-but-also-32-characters-long");
        var resigned = Token(payload, "not-the-secret-but-also-32-characters-long");
        var altered = Base64Url(JsonSerializer.SerializeToUtf8Bytes(otherContact)) + token[dot..];
        foreach (var bad in new[] { forged, resigned, altered, token[..^2], "nonsense", token + "A" })
        {
            using var response = await _bed.Http.GetAsync($"/p/Email/confirm/{bad}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("not valid", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(ConsentStatus.Pending, (await NewsletterConsentAsync(dee)).Status);
        Assert.Equal(1, await ConsentEventsAsync(dee));
        Assert.Equal(messageId, payload[4]);
    }

    [Fact]
    public async Task Only_the_latest_link_confirms_and_a_granted_consent_is_not_asked_again()
    {
        var eve = await _bed.ContactAsync("Eve", _bed.Address("eve"));
        var (_, first) = await OptInAsync(eve);
        var (latestId, latest) = await OptInAsync(eve);

        using var old = await _bed.Http.GetAsync(first);
        Assert.Equal(HttpStatusCode.Gone, old.StatusCode);
        Assert.Equal(ConsentStatus.Pending, (await NewsletterConsentAsync(eve)).Status);

        using var confirmed = await _bed.Http.GetAsync(latest);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Contains(latestId, (await NewsletterConsentAsync(eve)).DecidingEntry!.Proof);

        using var repeat = await RequestOptInAsync(new { contactId = eve.Id, purpose = "newsletter" });
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal("granted", (string?)(await repeat.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
        Assert.Equal(2, (await _bed.Smtp.DeliveredToAsync(_bed.Address("eve"))).Count);
    }

    [Fact]
    public async Task A_bad_opt_in_request_is_refused_with_a_problem_naming_what_is_wrong()
    {
        var fay = await _bed.ContactAsync("Fay", _bed.Address("fay"));
        await _bed.Crm.Messages.SuppressAsync("email", _bed.Address("gus"), "hard bounce");
        var gus = await _bed.ContactAsync("Gus", _bed.Address("gus"));

        var cases = new (object Body, string Role, HttpStatusCode Status, string Type)[]
        {
            (new { contactId = fay.Id }, "Admin", HttpStatusCode.BadRequest, "urn:crm:problem:validation"),
            (new { contactId = fay.Id, purpose = "newsletter", address = "someone@example.test" }, "Admin", HttpStatusCode.BadRequest, "urn:crm:problem:validation"),
            (new { contactId = fay.Id, purpose = "no-such-purpose" }, "Admin", HttpStatusCode.BadRequest, "urn:crm:problem:validation"),
            (new { contactId = "nobody", purpose = "newsletter" }, "Admin", HttpStatusCode.NotFound, "urn:crm:problem:not_found"),
            (new { contactId = fay.Id, purpose = "newsletter" }, "ReadOnly", HttpStatusCode.Forbidden, "urn:crm:problem:forbidden"),
            (new { contactId = gus.Id, purpose = "newsletter" }, "Admin", HttpStatusCode.Conflict, "urn:crm:problem:email_address_suppressed"),
        };
        foreach (var (body, role, status, type) in cases)
        {
            using var response = await RequestOptInAsync(body, role);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(type, (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["type"]);
        }

        using var anonymous = await _bed.Http.PostAsync("/api/v1/plugins/Email/opt-in", JsonContent.Create(new { contactId = fay.Id, purpose = "newsletter" }));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(0, await ConsentEventsAsync(fay));
        Assert.Empty(await _bed.Smtp.DeliveredToAsync(_bed.Address("fay")));
    }

    private static string Token(string[] payload, string secret)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(payload);
        return Base64Url(body) + "." + Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/p/Email/confirm/\S+")]
    private static partial Regex ConfirmLink();
}
