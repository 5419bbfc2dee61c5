using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine.Messaging;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.CrashHost;

/// <summary>
/// Sends e-mails through the engine's outbound path to a connector that writes each message id to <c>sent.log</c>
/// (flushed to disk before it returns), so a test can kill the process while it sends and count what went out.
/// The first run queues the messages and prints one ACK per queued message; <c>queued.done</c> marks that it did.
/// </summary>
internal static class MessageLoad
{
    public const string SentLog = "sent.log";
    public const string QueuedMarker = "queued.done";

    public static async Task<int> RunAsync(CrashHostArguments arguments, CancellationToken stop)
    {
        // Slow enough that the test can kill the host while most messages still wait (300 take 15 s).
        await using var engine = await StartSendingEngineAsync(arguments, ratePerSecond: 20, stop);
        HostOutput.Print(HostOutput.Ready);

        var marker = Path.Combine(arguments.DataDirectory, QueuedMarker);
        if (!File.Exists(marker))
        {
            var crm = engine.Client;
            for (var i = 0; i < arguments.Writers; i++)
            {
                var contact = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Reader" + i, ["email"] = $"reader{i}@example.com" });
                await crm.SetConsentAsync(contact.Id, new ConsentChange { Purpose = "newsletter", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "crash test" });
                var id = await crm.Messages.SendAsync(contact.Id, new MessageRequest { Channel = Channels.Email, Purpose = "newsletter", Subject = "Issue 1", Body = "Hello {{ contact.firstName }}" });
                HostOutput.Acknowledged($"{RecordTypes.Contact}/{contact.Id}", 0, id);
            }

            await File.WriteAllTextAsync(marker, "done", stop);
        }

        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return 0;
    }

    /// <summary>The engine on the host's directory, sending e-mail at <paramref name="ratePerSecond"/> to the <c>sent.log</c> connector.</summary>
    public static Task<CrmTestEngine> StartSendingEngineAsync(CrashHostArguments arguments, double ratePerSecond, CancellationToken stop)
    {
        var connector = new LogFileConnector(Path.Combine(arguments.DataDirectory, SentLog));
        return CrmTestEngine.StartAsync(arguments.DataDirectory,
            o =>
            {
                o.Coordination.OutboxBackoff = TimeSpan.FromMilliseconds(100);
                o.Messaging.DefaultRatePerSecond = ratePerSecond;
            },
            services => services.AddSingleton<IMessageConnector>(connector), stop);
    }

    /// <summary>Appends each message id to a file, flushed to disk before it returns.</summary>
    private sealed class LogFileConnector(string path) : IMessageConnector
    {
        private readonly Lock _gate = new();

        public string Channel => Channels.Email;

        public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                file.Write(Encoding.UTF8.GetBytes(message.MessageId + "\n"));
                file.Flush(flushToDisk: true);
            }

            return Task.CompletedTask;
        }
    }
}
