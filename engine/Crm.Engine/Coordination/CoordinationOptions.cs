namespace Crm.Engine.Coordination;

/// <summary>How the once-per-cluster services (log subscriptions, outbox, durable timers) share the work between nodes.</summary>
public sealed class CoordinationOptions
{
    /// <summary>
    /// How long a lease lasts without renewal: how long a dead node's work waits before another node takes it over.
    /// A node shutting down cleanly hands its leases over at once.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a holder renews its leases (well inside <see cref="LeaseDuration"/>).</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often a node that holds no lease tries to take it: the delay after a holder's lease expires.</summary>
    public TimeSpan AcquireInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the timer scheduler looks for timers scheduled on other nodes (the bound on how late a new timer can be).</summary>
    public TimeSpan TimerPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Executions of an outbox row before it is marked failed.</summary>
    public int OutboxMaxAttempts { get; set; } = 10;

    /// <summary>Delay before the first retry of a failed outbox row; doubled each attempt up to <see cref="OutboxMaxBackoff"/>.</summary>
    public TimeSpan OutboxBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan OutboxMaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long done outbox rows are kept (for audits) before the lease holder deletes them; failed rows are kept.</summary>
    public TimeSpan OutboxRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Events a subscription decides about in one transaction.</summary>
    public int SubscriptionBatchSize { get; set; } = 256;

    /// <summary>The clock of leases, timers and retries; the host's <see cref="System.TimeProvider"/> when null.</summary>
    public TimeProvider? TimeProvider { get; set; }

    internal void Validate()
    {
        if (LeaseDuration <= TimeSpan.Zero || RenewInterval <= TimeSpan.Zero || RenewInterval >= LeaseDuration)
        {
            throw new InvalidOperationException("Crm:Coordination: RenewInterval must be positive and shorter than LeaseDuration.");
        }

        if (AcquireInterval <= TimeSpan.Zero || TimerPollInterval <= TimeSpan.Zero || OutboxBackoff <= TimeSpan.Zero || OutboxMaxBackoff < OutboxBackoff)
        {
            throw new InvalidOperationException("Crm:Coordination: AcquireInterval, TimerPollInterval and OutboxBackoff must be positive, OutboxMaxBackoff at least OutboxBackoff.");
        }

        if (OutboxRetention < TimeSpan.Zero)
        {
            throw new InvalidOperationException("Crm:Coordination:OutboxRetention must not be negative.");
        }

        if (OutboxMaxAttempts < 1 || SubscriptionBatchSize < 1)
        {
            throw new InvalidOperationException("Crm:Coordination: OutboxMaxAttempts and SubscriptionBatchSize must be at least 1.");
        }
    }
}
