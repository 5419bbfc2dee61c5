namespace Crm.Engine.Plugins;

/// <summary>Whether a plugin runs.</summary>
public enum PluginState
{
    /// <summary>Its services are registered; its connectors, rules, background work and endpoints run.</summary>
    Loaded,

    /// <summary>It was skipped; <see cref="PluginStatus.Error"/> says why.</summary>
    Failed,
}

/// <summary>What the engine knows about one plugin folder: what it is, whether it loaded, and what it added.</summary>
public sealed record PluginStatus
{
    /// <summary>Why a plugin folder holds no usable <c>plugin.json</c>.</summary>
    public const string ManifestReason = "manifest";

    /// <summary>The manifest's <c>minEngineVersion</c> is newer than this engine.</summary>
    public const string EngineVersionReason = "engine_version";

    /// <summary>Another plugin folder declares the same name.</summary>
    public const string DuplicateNameReason = "duplicate_name";

    /// <summary>The plugin's assembly, or one of its dependencies, is missing or cannot be loaded.</summary>
    public const string MissingDependencyReason = "missing_dependency";

    /// <summary>The entry type is not found, is not an <see cref="ICrmPlugin"/>, or its constructor threw.</summary>
    public const string EntryTypeReason = "entry_type";

    /// <summary><see cref="ICrmPlugin.ConfigureServices"/> threw.</summary>
    public const string ConfigureServicesReason = "configure_services";

    /// <summary>The plugin's name from its manifest (the folder's name when the manifest cannot be read).</summary>
    public required string Name { get; init; }

    /// <summary>The plugin's version from its manifest, when it could be read.</summary>
    public string? Version { get; init; }

    public string? Description { get; init; }

    /// <summary>The folder it was found in.</summary>
    public required string Folder { get; init; }

    public required PluginState State { get; init; }

    /// <summary>Why it failed: one of the <c>*Reason</c> codes (<c>manifest</c>, <c>engine_version</c>, …); null when loaded.</summary>
    public string? Reason { get; init; }

    /// <summary>What went wrong, for people; null when loaded.</summary>
    public string? Error { get; init; }

    /// <summary>The channels of the message connectors it registered.</summary>
    public IReadOnlyList<string> Connectors { get; init; } = [];

    /// <summary>The ids of the C# rules it registered.</summary>
    public IReadOnlyList<string> Rules { get; init; } = [];

    /// <summary>The names of the background work it registered (each runs under the lease <c>plugin.&lt;name&gt;.&lt;work&gt;</c>).</summary>
    public IReadOnlyList<string> BackgroundWork { get; init; } = [];

    /// <summary>The HTTP endpoints a host mapped for it, e.g. <c>GET /p/CustomPlugin/ping</c>.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>Why its endpoints were not mapped (its <c>MapEndpoints</c> threw); null otherwise.</summary>
    public string? EndpointsError { get; init; }

    /// <summary>Problems after loading: a connector, rule or background work of the plugin that could not be created.</summary>
    public IReadOnlyList<string> Faults { get; init; } = [];
}

/// <summary>A plugin that loaded: its manifest, its entry object and the context it was given, for hosts that map its endpoints.</summary>
public sealed class LoadedPlugin
{
    internal LoadedPlugin(PluginManifest manifest, ICrmPlugin plugin, CrmPluginContext context)
    {
        Manifest = manifest;
        Plugin = plugin;
        Context = context;
    }

    public PluginManifest Manifest { get; }

    /// <summary>The entry object (an <c>ICrmWebPlugin</c> when the plugin serves HTTP).</summary>
    public ICrmPlugin Plugin { get; }

    public CrmPluginContext Context { get; }

    public string Name => Context.Name;
}
