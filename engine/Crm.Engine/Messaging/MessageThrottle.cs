using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Crm.Engine.Messaging;

/// <summary>
/// Paces sends per tenant and channel (<see cref="MessagingOptions.RatePerSecond"/>), so a campaign to a large
/// segment neither trips a provider's limits nor starves another tenant. Sends run on the node holding the
/// messages lease, so one bucket per tenant and channel on that node is the whole cluster's.
/// </summary>
internal sealed class MessageThrottle(MessagingOptions options)
{
    private readonly ConcurrentDictionary<(string Tenant, string Channel), TokenBucketRateLimiter> _buckets = new();

    /// <summary>Waits for the send's turn.</summary>
    public async ValueTask WaitAsync(string tenant, string channel, CancellationToken cancellationToken)
    {
        var bucket = _buckets.GetOrAdd((tenant, channel), key =>
        {
            var rate = options.RatePerSecond.GetValueOrDefault(key.Channel, options.DefaultRatePerSecond);
            var perTenth = Math.Max(1, (int)Math.Ceiling(rate / 10));
            return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perTenth,
                TokensPerPeriod = perTenth,
                ReplenishmentPeriod = TimeSpan.FromSeconds(perTenth / rate),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        });
        using var lease = await bucket.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
    }
}
