using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Crm.Engine.Plugins;

internal static class PluginServiceCollectionExtensions
{
    /// <summary>Loads the plugins of <paramref name="options"/>' folder into <paramref name="services"/> and registers the catalog and the runtime that runs their background work.</summary>
    public static IServiceCollection AddCrmPlugins(this IServiceCollection services, PluginOptions options, IConfiguration? configuration)
    {
        services.AddSingleton(PluginFolderLoader.Load(services, options, configuration));
        services.AddSingleton<PluginRuntime>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PluginRuntime>());
        return services;
    }
}
