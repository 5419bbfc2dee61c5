using System.Diagnostics.Metrics;

namespace Crm.Plugins.Email;

/// <summary>The plugin's counters, meter <c>Crm.Plugins.Email</c>, for OpenTelemetry to pick up.</summary>
internal static class EmailMetrics
{
    private static readonly Meter Meter = new("Crm.Plugins.Email");
    private static readonly Counter<long> SentCounter = Meter.CreateCounter<long>("crm.email.sent", description: "Messages handed to the SMTP server");
    private static readonly Counter<long> FailedCounter = Meter.CreateCounter<long>("crm.email.send_failures", description: "SMTP deliveries that failed, by kind");
    private static readonly Counter<long> InboundCounter = Meter.CreateCounter<long>("crm.email.inbound", description: "Mails read from IMAP mailboxes, by outcome");

    public static void Sent() => SentCounter.Add(1);

    public static void SendFailed(bool permanent) =>
        FailedCounter.Add(1, new KeyValuePair<string, object?>("kind", permanent ? "permanent" : "transient"));

    public static void Inbound(string outcome) => InboundCounter.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
