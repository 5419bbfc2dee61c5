using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Crm.Plugins.Email.IntegrationTests.MailServers;
using Crm.Testing.Processes;
using MimeKit;

namespace Crm.Plugins.Email.IntegrationTests;

/// <summary>
/// Crm.Server as operators run it — its own process, the e-mail plugin loaded from its plugins folder, a real SMTP
/// server — is killed (SIGKILL) while it sends queued mail, then started again on the same data directory.
/// </summary>
public sealed class ServerKillTests : IAsyncLifetime
{
    private const int Messages = 300;
    private const string MessageIdDomain = "mail.kill.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "crm-kill-" + Guid.NewGuid().ToString("N"));
    private readonly string _key = "kill-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly Dictionary<string, (string Rcpt, string MessageId)> _received = [];
    private SmtpSink _smtp = null!;
    private ServerNode _server = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        // A sink of its own: this test reads every message it received.
        _smtp = await SmtpSink.StartAsync();
        _server = new ServerNode(1, new Dictionary<string, string>
        {
            ["Crm__DataPath"] = Path.Combine(_directory, "data"),
            ["Crm__Auth__BootstrapKey"] = _key,
            ["Crm__RateLimit__PermitsPerSecond"] = "1000000",
            ["Crm__RateLimit__Burst"] = "1000000",
            // Slow enough that most mail still waits when the kill comes (300 take 15 s).
            ["Crm__Messaging__DefaultRatePerSecond"] = "20",
            ["Crm__Coordination__OutboxBackoff"] = "00:00:00.100",
            ["Crm__Plugins__Email__From"] = "Acme <news@acme.test>",
            ["Crm__Plugins__Email__MessageIdDomain"] = MessageIdDomain,
            ["Crm__Plugins__Email__Smtp__Host"] = "127.0.0.1",
            ["Crm__Plugins__Email__Smtp__Port"] = _smtp.Port.ToString(),
            ["Crm__Plugins__Email__Smtp__Security"] = "None",
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_NOLOGO"] = "1",
        }, _directory);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _smtp.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }

    [Fact]
    public async Task A_server_killed_while_sending_mail_sends_every_message_after_a_restart_repeating_only_in_flight_ones_with_the_same_message_id()
    {
        await _server.StartAsync(TestContext.Current.CancellationToken);
        var loaded = await SendAsync(HttpMethod.Get, "api/v1/plugins");
        Assert.Contains(loaded!["items"]!.AsArray(), p => (string?)p!["name"] == "Email" && (string?)p["state"] == "loaded");

        var expected = new Dictionary<string, string>(); // Message-ID → recipient
        for (var i = 0; i < Messages; i++)
        {
            var address = $"reader{i}@example.test";
            var contact = await SendAsync(HttpMethod.Post, "api/v1/contacts", new JsonObject { ["firstName"] = "Reader" + i, ["email"] = address });
            var id = (string)contact!["id"]!;
            await SendAsync(HttpMethod.Put, $"api/v1/contacts/{id}/consent/newsletter/email", new JsonObject { ["status"] = "granted", ["source"] = "kill test" });
            var queued = await SendAsync(HttpMethod.Post, $"api/v1/contacts/{id}/messages",
                new JsonObject { ["channel"] = "email", ["purpose"] = "newsletter", ["subject"] = "Issue 1", ["body"] = "Hello {{ contact.firstName }}" },
                HttpStatusCode.Accepted);
            expected[MessageIds.ToHeader((string)queued!["messageId"]!, MessageIdDomain)] = address;
        }

        await WaitUntilAsync(async () => (await ReceivedAsync()).Count >= 20, "some mail to arrive");
        await _server.KillAsync();
        var beforeKill = (await ReceivedAsync()).Count;
        Assert.True(beforeKill < Messages, $"all {beforeKill} messages went out before the kill; the test did not kill mid-way");

        await _server.StartAsync(TestContext.Current.CancellationToken);
        await WaitUntilAsync(async () => (await ReceivedAsync()).Select(m => m.MessageId).Distinct().Count() >= Messages, "every message to arrive");

        var received = await ReceivedAsync();
        Assert.Equal(expected.Keys.Order(), received.Select(m => m.MessageId).Distinct().Order());
        Assert.All(received, m => Assert.Equal(expected[m.MessageId], m.Rcpt));
        var repeats = received.GroupBy(m => m.MessageId).Where(g => g.Count() > 1).ToList();
        Assert.All(repeats, g => Assert.Equal(2, g.Count()));
        // Sends run at most 32 at a time: only those in flight at the kill can go out twice, with the same Message-ID.
        Assert.True(repeats.Count <= 32, $"{repeats.Count} messages went out twice");
        TestContext.Current.TestOutputHelper?.WriteLine($"{beforeKill} delivered before the kill, {received.Count} deliveries in all, {repeats.Count} repeated.");
    }

    /// <summary>Every message the sink accepted so far, each file read once.</summary>
    private async Task<IReadOnlyList<(string Rcpt, string MessageId)>> ReceivedAsync()
    {
        foreach (var file in Directory.Exists(_smtp.Folder) ? Directory.GetFiles(_smtp.Folder, "*.eml") : [])
        {
            if (_received.ContainsKey(file)) continue;
            var message = await MimeMessage.LoadAsync(file);
            _received[file] = ((message.Headers["X-Sink-Rcpt-To"] ?? "").Trim(), message.MessageId ?? "");
        }

        return [.. _received.Values];
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonObject? body = null, HttpStatusCode? expect = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key);
        using var response = await _server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (expect is { } status) Assert.True(response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode} {text}");
        else Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {Patience} waiting for {what}.\n{_server.Output()}\n{_smtp.Errors}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
