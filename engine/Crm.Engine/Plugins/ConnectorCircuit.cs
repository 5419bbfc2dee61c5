using Crm.Engine.Messaging;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Crm.Engine.Plugins;

/// <summary>
/// The circuit breaker of one plugin connector channel: when every send in <see cref="PluginOptions.ConnectorSamplingDuration"/>
/// failed and there were at least <see cref="PluginOptions.ConnectorFailureThreshold"/>, sends fail at once for
/// <see cref="PluginOptions.ConnectorBreakDuration"/>; then one send is let through, and its success closes the circuit.
/// A <see cref="PermanentDeliveryException"/> is the remote's answer about one message, not a fault of the connector.
/// </summary>
internal sealed class ConnectorCircuit
{
    private readonly string _plugin;
    private readonly string _channel;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private DateTimeOffset? _openUntil;
    private string? _lastError;

    public ConnectorCircuit(string plugin, string channel, PluginOptions options, TimeProvider time, ILogger logger)
    {
        _plugin = plugin;
        _channel = channel;
        _time = time;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = options.ConnectorFailureThreshold,
                SamplingDuration = options.ConnectorSamplingDuration,
                BreakDuration = options.ConnectorBreakDuration,
                StateProvider = _state,
                ShouldHandle = args => ValueTask.FromResult(IsFault(args.Outcome.Exception, args.Context.CancellationToken)),
                OnOpened = args =>
                {
                    _openUntil = _time.GetUtcNow() + args.BreakDuration;
                    _lastError = args.Outcome.Exception is { } ex ? $"{ex.GetType().Name}: {ex.Message}" : null;
                    PluginLog.CircuitOpened(logger, _plugin, _channel, args.BreakDuration, _lastError);
                    return default;
                },
                OnClosed = _ =>
                {
                    _openUntil = null;
                    PluginLog.CircuitClosed(logger, _plugin, _channel);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Closed, Open, HalfOpen (one trial send under way) or Isolated.</summary>
    public CircuitState State => _state.CircuitState;

    public async Task SendAsync(IMessageConnector connector, OutboundMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.ExecuteAsync(
                static async (state, ct) => await (state.connector.SendAsync(state.message, ct)
                    ?? throw new InvalidOperationException("SendAsync returned no task.")).ConfigureAwait(false),
                (connector, message),
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException) when (_state.CircuitState != CircuitState.Closed)
        {
            throw new ConnectorUnavailableException(_plugin, _channel, _openUntil, _lastError);
        }
        catch (Exception ex) when (IsFault(ex, cancellationToken))
        {
            PluginLog.SendFailed(_logger, ex, _plugin, _channel, message.MessageId);
            throw new PluginConnectorException(_plugin, _channel, ex);
        }
    }

    private static bool IsFault(Exception? ex, CancellationToken cancellationToken) =>
        ex is not (null or PermanentDeliveryException) && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested);
}
