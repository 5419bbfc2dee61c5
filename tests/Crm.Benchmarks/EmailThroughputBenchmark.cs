using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Messaging;
using Crm.Engine.Storage;
using Crm.Engine.Testing;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Configuration;
using MimeKit;

namespace Crm.Benchmarks;

/// <summary>
/// (j) E-mails through the engine's outbound path — queued on the contact, consent checked at send time, suppression
/// list, pace, the e-mail plugin (loaded from a plugins folder) over SMTP, the outcome written back — to a local SMTP
/// sink (aiosmtpd), beside raw MailKit sends of the same messages to the same sink in the same run, with the same
/// concurrency and one connection per message as the plugin uses.
/// </summary>
internal static class EmailThroughputBenchmark
{
    private const int Concurrency = 32;

    public sealed record Result(Measurement Raw, Measurement Engine, int Messages);

    public static async Task<Result> RunAsync(int messages)
    {
        var port = FreePort();
        using var sink = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("The SMTP sink did not start (is python3-aiosmtpd installed?).");
        try
        {
            await WaitForListenerAsync(port, sink);
            var raw = await RawAsync(port, messages);
            var engine = await EngineAsync(port, messages);
            return new Result(raw, engine, messages);
        }
        finally
        {
            sink.Kill(entireProcessTree: true);
            await sink.WaitForExitAsync();
        }
    }

    private static async Task<Measurement> RawAsync(int port, int messages)
    {
        await SendRawAsync(port, Math.Min(100, messages)); // connections and code warm
        var probe = Measurement.Start();
        await SendRawAsync(port, messages);
        return probe.Stop(messages);
    }

    private static async Task SendRawAsync(int port, int messages)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < messages; i = Interlocked.Increment(ref next))
            {
                var message = new MimeMessage();
                message.From.Add(MailboxAddress.Parse("news@bench.example"));
                message.To.Add(MailboxAddress.Parse($"reader{i}@example.com"));
                message.Subject = "Issue 1";
                message.MessageId = $"raw-{i}@bench.example";
                message.Body = new TextPart("plain") { Text = $"Hello Reader{i}" };
                using var client = new SmtpClient();
                await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
                await client.SendAsync(message);
                await client.DisconnectAsync(quit: true);
            }
        }));
    }

    private static async Task<Measurement> EngineAsync(int port, int messages)
    {
        using var data = new TempDataDirectory("email-bench");
        var plugins = Path.Combine(data.Path, "plugins");
        CopyPlugin(Path.Combine(plugins, "Email"));
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Email:From"] = "news@bench.example",
            ["Email:MessageIdDomain"] = "bench.example",
            ["Email:Smtp:Host"] = "127.0.0.1",
            ["Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Email:Smtp:Security"] = "None",
        }).Build();
        await using var crm = await CrmTestEngine.StartAsync(Path.Combine(data.Path, "crm"), o =>
        {
            o.Plugins.Folder = plugins;
            o.Plugins.Configuration = settings;
            o.Messaging.DefaultRatePerSecond = 1_000_000; // pace out of the way: the path's own cost is measured
        });

        var contacts = new string[messages + 100];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < contacts.Length; i = Interlocked.Increment(ref next))
            {
                var c = await crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Reader" + i, ["email"] = $"reader{i}@example.com" });
                await crm.Client.SetConsentAsync(c.Id, new ConsentChange { Purpose = "newsletter", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "benchmark" });
                contacts[i] = c.Id;
            }
        }));

        await SendThroughEngineAsync(crm, contacts[messages..], 100); // warm
        var probe = Measurement.Start();
        await SendThroughEngineAsync(crm, contacts[..messages], 100 + messages);
        return probe.Stop(messages);
    }

    /// <summary>Queues a message to each contact and waits until the outbox has sent <paramref name="doneInAll"/> in all.</summary>
    private static async Task SendThroughEngineAsync(CrmTestEngine crm, string[] contacts, int doneInAll)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < contacts.Length; i = Interlocked.Increment(ref next))
            {
                await crm.Client.Messages.SendAsync(contacts[i], new MessageRequest { Channel = Channels.Email, Purpose = "newsletter", Subject = "Issue 1", Body = "Hello {{ contact.firstName }}" });
            }
        }));

        var deadline = Stopwatch.StartNew();
        while (await DoneAsync(crm.Store) < doneInAll)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("The engine did not send every message within 5 minutes.");
            await Task.Delay(20);
        }
    }

    private static async Task<int> DoneAsync(IEventStore store)
    {
        var done = 0;
        long after = 0;
        while (true)
        {
            var rows = await store.Coordination.ListOutboxAsync("crm.messages", after, 1_000);
            done += rows.Count(r => r.Status == OutboxStatus.Done);
            if (rows.Count < 1_000) return done;
            after = rows[^1].Id;
        }
    }

    private static void CopyPlugin(string target)
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var output = Path.Combine(root, "plugins", "Crm.Plugins.Email", "bin", configuration, "net10.0");
        if (!File.Exists(Path.Combine(output, "plugin.json"))) throw new InvalidOperationException($"The e-mail plugin is not built in {output}.");
        foreach (var file in Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(output, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForListenerAsync(int port, Process sink)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !sink.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }
}
