using Crm.Engine.Messaging;

namespace Crm.Engine.Plugins;

/// <summary>
/// A plugin's connector as the engine sees it: every send goes through the channel's circuit breaker, and whatever
/// the plugin throws comes out as <see cref="PluginConnectorException"/> (or <see cref="ConnectorUnavailableException"/>
/// while the circuit is open); <see cref="PermanentDeliveryException"/> passes through unchanged.
/// </summary>
internal sealed class PluginMessageConnector : IMessageConnector, IAsyncDisposable, IDisposable
{
    private readonly IMessageConnector? _inner;
    private readonly bool _ownsInner;
    private readonly ConnectorCircuit? _circuit;

    public PluginMessageConnector(IServiceProvider services, PluginGuards guards, string plugin, Func<object> create, bool ownsInner)
    {
        Plugin = plugin;
        _ownsInner = ownsInner;
        try
        {
            _inner = (IMessageConnector)create();
            Channel = _inner.Channel ?? throw new InvalidOperationException("its Channel is null");
            _circuit = guards.Circuit(services, plugin, Channel);
            guards.Catalog.AddConnector(plugin, Channel);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Left out of the way: no real channel is named like this, so no message is routed here.
            Channel = "unavailable:" + plugin;
            guards.Fault(services, plugin, "a message connector", ex);
        }
    }

    public string Plugin { get; }

    public string Channel { get; }

    /// <summary>The plugin's own connector (null when it could not be created).</summary>
    internal IMessageConnector? Inner => _inner;

    internal ConnectorCircuit? Circuit => _circuit;

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_inner is null || _circuit is null)
        {
            throw new ConnectorUnavailableException(Plugin, Channel, null, "the connector could not be created; see the plugin's faults");
        }

        return _circuit.SendAsync(_inner, message, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_ownsInner) return;
        if (_inner is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        else if (_inner is IDisposable disposable) disposable.Dispose();
    }

    // A host disposed synchronously disposes its services synchronously; the guard must allow it whatever the plugin's connector implements.
    public void Dispose()
    {
        if (!_ownsInner) return;
        if (_inner is IDisposable disposable) disposable.Dispose();
        else if (_inner is IAsyncDisposable asyncDisposable) asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
