using System.Reflection;
using System.Runtime.Loader;
using Crm.Engine.Messaging;
using Crm.Engine.Rules;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Engine.Plugins;

/// <summary>
/// Finds the plugins under <see cref="PluginOptions.Folder"/> (<c>&lt;Name&gt;/plugin.json</c>), loads each in its
/// own load context that prefers the host's copies of shared assemblies, calls its <see cref="ICrmPlugin.ConfigureServices"/>
/// on a service collection of its own, and copies what it registered into the host's services behind exception
/// boundaries. A plugin that cannot be loaded is recorded as failed and skipped; the others and the host go on.
/// </summary>
internal static class PluginFolderLoader
{
    /// <summary>The types a plugin and the host must agree on; with <c>PreferSharedTypes</c> every assembly the host has is shared.</summary>
    private static readonly Type[] SharedTypes =
    [
        typeof(ICrmPlugin), typeof(IMessageConnector), typeof(ICrmRule), typeof(ICrmClient),
        typeof(IServiceCollection), typeof(IServiceProvider), typeof(ILogger), typeof(ILoggerFactory),
        typeof(IConfiguration), typeof(IOptions<>), typeof(IHostedService), typeof(TimeProvider),
    ];

    /// <summary>The engine's version: the version of <c>Crm.Engine.Sdk</c>, which plugins are built against.</summary>
    public static Version EngineVersion { get; } = PluginManifestReader.Normalize(typeof(ICrmPlugin).Assembly.GetName().Version ?? new Version(0, 0, 0));

    public static PluginCatalog Load(IServiceCollection services, PluginOptions options, IConfiguration? hostConfiguration)
    {
        if (!options.Enabled) return new PluginCatalog(EngineVersion, null);
        var folder = options.FullFolder;
        var catalog = new PluginCatalog(EngineVersion, folder);
        if (!Directory.Exists(folder)) return catalog;

        var guards = new PluginGuards(catalog, options);
        services.AddSingleton(guards);
        IConfiguration configuration = options.Configuration ?? hostConfiguration?.GetSection("Crm:Plugins") ?? (IConfiguration)new ConfigurationBuilder().Build();
        foreach (var directory in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            LoadOne(directory, services, catalog, guards, configuration);
        }

        return catalog;
    }

    private static void LoadOne(string directory, IServiceCollection services, PluginCatalog catalog, PluginGuards guards, IConfiguration configuration)
    {
        var read = PluginManifestReader.Read(directory);
        var name = read.Manifest?.Name is { Length: > 0 } declared && read.Error is null ? declared : Path.GetFileName(directory);
        PluginStatus Failed(string reason, string error) => new()
        {
            Name = name,
            Version = read.Manifest?.Version,
            Description = read.Manifest?.Description,
            Folder = directory,
            State = PluginState.Failed,
            Reason = reason,
            Error = error,
        };

        if (read.Error is not null)
        {
            catalog.Add(Failed(PluginStatus.ManifestReason, read.Error));
            return;
        }

        var manifest = read.Manifest!;
        if (catalog.Plugins.FirstOrDefault(p => p.Reason != PluginStatus.ManifestReason && string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is { } other)
        {
            catalog.Add(Failed(PluginStatus.DuplicateNameReason, $"another plugin named '{other.Name}' is in {other.Folder}"));
            return;
        }

        if (read.MinEngineVersion > EngineVersion)
        {
            catalog.Add(Failed(PluginStatus.EngineVersionReason, $"needs engine {read.MinEngineVersion} or newer; this engine is {EngineVersion}"));
            return;
        }

        var assemblyPath = Path.Combine(directory, manifest.Assembly);
        if (!File.Exists(assemblyPath))
        {
            catalog.Add(Failed(PluginStatus.MissingDependencyReason, $"its assembly {manifest.Assembly} is not in the folder"));
            return;
        }

        ICrmPlugin plugin;
        try
        {
            plugin = CreateEntry(assemblyPath, manifest.EntryType);
        }
        catch (EntryTypeException ex)
        {
            catalog.Add(Failed(PluginStatus.EntryTypeReason, ex.Message));
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var (reason, error) = PluginFailures.Classify(ex, PluginStatus.EntryTypeReason, $"creating {manifest.EntryType}");
            catalog.Add(Failed(reason, error));
            return;
        }

        var context = new CrmPluginContext(name, read.Version!, directory, configuration.GetSection(name), EngineVersion);
        var own = new ServiceCollection();
        try
        {
            plugin.ConfigureServices(own, context);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var (reason, error) = PluginFailures.Classify(ex, PluginStatus.ConfigureServicesReason, "ConfigureServices");
            catalog.Add(Failed(reason, error));
            return;
        }

        catalog.Add(new PluginStatus
        {
            Name = name,
            Version = manifest.Version,
            Description = manifest.Description,
            Folder = directory,
            State = PluginState.Loaded,
        }, new LoadedPlugin(manifest, plugin, context));
        PluginRegistrations.CopyInto(services, own, name, guards);
    }

    private static ICrmPlugin CreateEntry(string assemblyPath, string entryType)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, isUnloadable: false, SharedTypes, c => c.PreferSharedTypes = true);
        var assembly = loader.LoadDefaultAssembly();
        VerifyDependencies(assembly, loader.LoadContext);
        var type = assembly.GetType(entryType, throwOnError: false)
            ?? throw new EntryTypeException($"{assembly.GetName().Name} has no type {entryType}");
        if (!typeof(ICrmPlugin).IsAssignableFrom(type))
        {
            throw new EntryTypeException(type.GetInterfaces().Any(i => i.FullName == typeof(ICrmPlugin).FullName)
                ? $"{entryType} implements another copy of ICrmPlugin: the plugin must not ship Crm.Engine.Sdk.dll (reference it with Private=false, ExcludeAssets=runtime)"
                : $"{entryType} does not implement ICrmPlugin");
        }

        if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new EntryTypeException($"{entryType} needs a public parameterless constructor");
        }

        return (ICrmPlugin)Activator.CreateInstance(type)!;
    }

    /// <summary>
    /// Loads every assembly the plugin's own assemblies reference, so a library missing from its folder fails the load
    /// now (<c>missing_dependency</c>), not the first send hours later. Shared and framework assemblies come from the
    /// host and are not walked further.
    /// </summary>
    private static void VerifyDependencies(Assembly root, AssemblyLoadContext context)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { root.GetName().Name! };
        var pending = new Stack<Assembly>([root]);
        while (pending.TryPop(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (!seen.Add(reference.Name!)) continue;
                var loaded = context.LoadFromAssemblyName(reference);
                if (AssemblyLoadContext.GetLoadContext(loaded) == context) pending.Push(loaded);
            }
        }
    }

    /// <summary>The entry type named by the manifest cannot be used; the message says why.</summary>
    private sealed class EntryTypeException(string message) : Exception(message);
}
