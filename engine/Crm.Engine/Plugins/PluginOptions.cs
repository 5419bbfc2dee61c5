using Microsoft.Extensions.Configuration;

namespace Crm.Engine.Plugins;

/// <summary>Where the engine looks for plugins and how it contains their faults (<c>Crm:Plugins</c>).</summary>
public sealed class PluginOptions
{
    /// <summary>Load the plugins found in <see cref="Folder"/>. On by default; a missing folder means no plugins.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The folder holding one sub-folder per plugin (<c>&lt;Folder&gt;/&lt;Name&gt;/plugin.json</c>); relative paths are read from the working directory.</summary>
    public string Folder { get; set; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>
    /// The section holding each plugin's settings as a child named after the plugin (<c>Crm:Plugins:&lt;Name&gt;</c>);
    /// the host's <c>Crm:Plugins</c> section when null.
    /// </summary>
    public IConfiguration? Configuration { get; set; }

    /// <summary>Sends of one plugin connector that must all fail within <see cref="ConnectorSamplingDuration"/> before its circuit opens.</summary>
    public int ConnectorFailureThreshold { get; set; } = 5;

    /// <summary>The window in which <see cref="ConnectorFailureThreshold"/> failures (and no success) open a connector's circuit.</summary>
    public TimeSpan ConnectorSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open connector fails fast before one send is let through to try it again.</summary>
    public TimeSpan ConnectorBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock of the connectors' circuit breakers; the host's <see cref="System.TimeProvider"/> when null.</summary>
    public TimeProvider? TimeProvider { get; set; }

    internal string FullFolder => Path.GetFullPath(Folder);

    internal void Validate()
    {
        if (Enabled && string.IsNullOrWhiteSpace(Folder))
        {
            throw new InvalidOperationException("Crm:Plugins:Folder must name a directory (or set Crm:Plugins:Enabled to false).");
        }

        if (ConnectorFailureThreshold < 2)
        {
            throw new InvalidOperationException("Crm:Plugins:ConnectorFailureThreshold must be at least 2.");
        }

        if (ConnectorSamplingDuration < TimeSpan.FromMilliseconds(500) || ConnectorBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            throw new InvalidOperationException("Crm:Plugins:ConnectorSamplingDuration and ConnectorBreakDuration must be at least 0.5 seconds.");
        }
    }

    /// <summary>Names a plugin may not take, because they are settings in <c>Crm:Plugins</c> beside the plugins' sections.</summary>
    internal static bool IsReservedName(string name) =>
        typeof(PluginOptions).GetProperties().Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
