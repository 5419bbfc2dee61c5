namespace Crm.Engine.Plugins;

/// <summary>
/// The plugins the engine found when it was added to the host: what loaded, what failed and why, and what each
/// registered (connectors, rules, background work, endpoints). One per engine, as a singleton.
/// </summary>
public sealed class PluginCatalog
{
    private readonly object _gate = new();
    private readonly List<PluginStatus> _plugins = [];
    private readonly List<LoadedPlugin> _loaded = [];

    internal PluginCatalog(Version engineVersion, string? folder)
    {
        EngineVersion = engineVersion;
        Folder = folder;
    }

    /// <summary>The engine's version, which plugins' <c>minEngineVersion</c> is compared with.</summary>
    public Version EngineVersion { get; }

    /// <summary>The folder that was searched for plugins; null when plugins are switched off.</summary>
    public string? Folder { get; }

    /// <summary>Every plugin folder found, in name order.</summary>
    public IReadOnlyList<PluginStatus> Plugins
    {
        get
        {
            lock (_gate) return _plugins.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToArray();
        }
    }

    /// <summary>The plugins that loaded, in the order they were loaded.</summary>
    public IReadOnlyList<LoadedPlugin> Loaded
    {
        get
        {
            lock (_gate) return _loaded.ToArray();
        }
    }

    /// <summary>The status of the plugin named <paramref name="name"/> (case-insensitive), or null.</summary>
    public PluginStatus? Find(string name)
    {
        lock (_gate) return _plugins.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Records the endpoints a host mapped for a plugin.</summary>
    public void ReportEndpoints(string plugin, IReadOnlyList<string> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        Update(plugin, p => p with { Endpoints = [.. endpoints], EndpointsError = null });
    }

    /// <summary>Records that a plugin's endpoints could not be mapped, and why; the plugin's other parts keep running.</summary>
    public void ReportEndpointsFailed(string plugin, string error) => Update(plugin, p => p with { Endpoints = [], EndpointsError = error });

    internal void Add(PluginStatus status, LoadedPlugin? loaded = null)
    {
        lock (_gate)
        {
            _plugins.Add(status);
            if (loaded is not null) _loaded.Add(loaded);
        }
    }

    internal void AddConnector(string plugin, string channel) => Update(plugin, p => p.Connectors.Contains(channel) ? p : p with { Connectors = [.. p.Connectors, channel] });

    internal void AddRule(string plugin, string id) => Update(plugin, p => p.Rules.Contains(id) ? p : p with { Rules = [.. p.Rules, id] });

    internal void AddBackgroundWork(string plugin, string name) =>
        Update(plugin, p => p.BackgroundWork.Contains(name) ? p : p with { BackgroundWork = [.. p.BackgroundWork, name] });

    internal void AddFault(string plugin, string fault) => Update(plugin, p => p.Faults.Contains(fault) ? p : p with { Faults = [.. p.Faults, fault] });

    private void Update(string plugin, Func<PluginStatus, PluginStatus> change)
    {
        lock (_gate)
        {
            var index = _plugins.FindIndex(p => p.State == PluginState.Loaded && string.Equals(p.Name, plugin, StringComparison.OrdinalIgnoreCase));
            if (index < 0) throw new ArgumentException($"No plugin '{plugin}' was loaded.", nameof(plugin));
            _plugins[index] = change(_plugins[index]);
        }
    }
}
