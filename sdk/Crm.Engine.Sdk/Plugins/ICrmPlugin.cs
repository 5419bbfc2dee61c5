using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Plugins;

/// <summary>
/// The one interface a plugin implements. The host finds it through the plugin's manifest (<c>plugin.json</c>),
/// creates it with a public parameterless constructor and calls <see cref="ConfigureServices"/> once, before the
/// engine starts. What the plugin registers there is what it adds: message connectors
/// (<see cref="Messaging.IMessageConnector"/>), C# rules (<see cref="Rules.ICrmRule"/>), background work
/// (<see cref="ICrmBackgroundWork"/>), and its own services and options. Plugins that serve HTTP implement
/// <c>ICrmWebPlugin</c> from <c>Crm.Engine.Sdk.Web</c>.
/// </summary>
public interface ICrmPlugin
{
    /// <summary>Registers the plugin's services. Throwing here skips the plugin; the host and other plugins go on.</summary>
    void ConfigureServices(IServiceCollection services, CrmPluginContext context);
}

/// <summary>What a plugin knows about where it runs.</summary>
public sealed class CrmPluginContext
{
    public CrmPluginContext(string name, Version version, string directory, IConfiguration configuration, Version engineVersion)
    {
        Name = name;
        Version = version;
        Directory = directory;
        Configuration = configuration;
        EngineVersion = engineVersion;
    }

    /// <summary>The plugin's name from its manifest.</summary>
    public string Name { get; }

    /// <summary>The plugin's version from its manifest.</summary>
    public Version Version { get; }

    /// <summary>The folder the plugin was loaded from (its static assets live under <c>wwwroot</c> there).</summary>
    public string Directory { get; }

    /// <summary>The plugin's configuration section, <c>Crm:Plugins:&lt;Name&gt;</c>.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>The version of the engine that loads it.</summary>
    public Version EngineVersion { get; }
}

/// <summary>
/// Long-running work of a plugin that must run on one node of a cluster at a time (polling a mailbox, a gateway).
/// The engine runs it under a lease; when it throws or the node loses the lease it is cancelled and started again on
/// whichever node holds the lease, after a back-off.
/// </summary>
public interface ICrmBackgroundWork
{
    /// <summary>Unique name; the lease is kept under it.</summary>
    string Name { get; }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>The manifest every plugin folder holds as <c>plugin.json</c>.</summary>
public sealed record PluginManifest
{
    /// <summary>Unique name: letters, digits, '.', '-'; the folder's name by convention.</summary>
    public required string Name { get; init; }

    /// <summary>The plugin's version (e.g. <c>1.2.0</c>).</summary>
    public required string Version { get; init; }

    /// <summary>The assembly file that holds the entry type, e.g. <c>Crm.Plugins.Email.dll</c>.</summary>
    public required string Assembly { get; init; }

    /// <summary>The full name of the type implementing <see cref="ICrmPlugin"/>.</summary>
    public required string EntryType { get; init; }

    /// <summary>The oldest engine (SDK) version the plugin works with.</summary>
    public string MinEngineVersion { get; init; } = "1.0.0";

    /// <summary>What the plugin does, for people.</summary>
    public string? Description { get; init; }
}
