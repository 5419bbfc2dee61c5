using Microsoft.Extensions.Logging;

namespace Crm.Engine.Plugins;

internal static partial class PluginLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Plugin {Plugin} {Version} loaded from {Folder}: connectors [{Connectors}], rules [{Rules}], background work [{Work}]")]
    public static partial void Loaded(ILogger logger, string plugin, string? version, string folder, string connectors, string rules, string work);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plugin {Plugin} in {Folder} was skipped ({Reason}): {Error}")]
    public static partial void Failed(ILogger logger, string plugin, string folder, string? reason, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plugin {Plugin}: {Fault}")]
    public static partial void PartFailed(ILogger logger, Exception exception, string plugin, string fault);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connector {Channel} of plugin {Plugin} is paused for {BreakDuration} after repeated failures; last error: {LastError}")]
    public static partial void CircuitOpened(ILogger logger, string plugin, string channel, TimeSpan breakDuration, string? lastError);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connector {Channel} of plugin {Plugin} failed to send message {MessageId}")]
    public static partial void SendFailed(ILogger logger, Exception exception, string plugin, string channel, string messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connector {Channel} of plugin {Plugin} works again")]
    public static partial void CircuitClosed(ILogger logger, string plugin, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The registered {Type}s could not all be created; the plugin catalog may not list them all")]
    public static partial void InventoryFailed(ILogger logger, Exception exception, string type);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plugin {Plugin}: hosted service {Service} failed")]
    public static partial void HostedServiceFailed(ILogger logger, Exception exception, string plugin, string service);

    [LoggerMessage(Level = LogLevel.Error, Message = "Background work {Work} was not started: {Reason}")]
    public static partial void WorkSkipped(ILogger logger, string work, string reason);
}
