namespace Crm.Engine.Plugins;

/// <summary>
/// A plugin's message connector failed (it threw, or returned no task). The message may be retried later; the
/// exception names the plugin, the channel and what the plugin threw.
/// </summary>
[GenerateSerializer, Alias("crm.PluginConnectorException")]
public sealed class PluginConnectorException : CrmException
{
    public PluginConnectorException(string plugin, string channel, Exception inner)
        : base("connector_failed", $"The '{channel}' connector of plugin '{plugin}' failed: {PluginFailures.Describe(inner)}")
    {
        Plugin = plugin;
        Channel = channel;
    }

    [Id(0)] public string Plugin { get; }
    [Id(1)] public string Channel { get; }
}

/// <summary>
/// A plugin's message connector is paused: its recent sends all failed, so its circuit is open and sends fail at once
/// without calling the plugin until <see cref="RetryAfter"/>. Retry the message later.
/// </summary>
[GenerateSerializer, Alias("crm.ConnectorUnavailableException")]
public sealed class ConnectorUnavailableException : CrmException
{
    public ConnectorUnavailableException(string plugin, string channel, DateTimeOffset? retryAfter, string? lastError)
        : base("connector_unavailable",
            $"The '{channel}' connector of plugin '{plugin}' is paused after repeated failures" +
            (retryAfter is { } at ? $" until {at:O}" : "") + (lastError is null ? "." : $"; last error: {lastError}"))
    {
        Plugin = plugin;
        Channel = channel;
        RetryAfter = retryAfter;
    }

    [Id(0)] public string Plugin { get; }
    [Id(1)] public string Channel { get; }

    /// <summary>When the connector will be tried again (one send is let through then).</summary>
    [Id(2)] public DateTimeOffset? RetryAfter { get; }
}
