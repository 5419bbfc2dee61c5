namespace Crm.Engine.Messaging;

/// <summary>How outbound messages are paced and how their links are made (<c>Crm:Messaging</c>).</summary>
public sealed class MessagingOptions
{
    /// <summary>The public address of the host (e.g. <c>https://crm.example.com</c>); unsubscribe links start with it. No links when null.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The secret that signs unsubscribe links (at least 32 characters); every node of a cluster needs the same. No links when null.</summary>
    public string? LinkSecret { get; set; }

    /// <summary>Messages per second per tenant and channel (key: channel); <see cref="DefaultRatePerSecond"/> for the others.</summary>
    public Dictionary<string, double> RatePerSecond { get; } = new(StringComparer.Ordinal) { ["sms"] = 10 };

    /// <summary>Messages per second per tenant on a channel without its own rate.</summary>
    public double DefaultRatePerSecond { get; set; } = 50;

    /// <summary>Largest rendered body, in characters.</summary>
    public int MaxBodyLength { get; set; } = 256 * 1024;

    internal void Validate()
    {
        if (LinkSecret is { Length: < 32 }) throw new InvalidOperationException("Crm:Messaging:LinkSecret must be at least 32 characters.");
        if (PublicBaseUrl is not null && !Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out _)) throw new InvalidOperationException("Crm:Messaging:PublicBaseUrl must be an absolute URL.");
        if (DefaultRatePerSecond <= 0 || RatePerSecond.Values.Any(r => r <= 0)) throw new InvalidOperationException("Crm:Messaging:RatePerSecond values must be positive.");
        if (MaxBodyLength is < 1 or > 10_000_000) throw new InvalidOperationException("Crm:Messaging:MaxBodyLength must be between 1 and 10000000.");
    }
}
