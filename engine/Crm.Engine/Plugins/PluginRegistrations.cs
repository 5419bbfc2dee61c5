using System.Runtime.Loader;
using Crm.Engine.Messaging;
using Crm.Engine.Rules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Crm.Engine.Plugins;

/// <summary>
/// Copies what a plugin registered on its own service collection into the host's. Connectors, rules and background
/// work are wrapped in their exception boundaries. A plugin adds services; it does not replace the host's: a
/// registration of a service type the host shares with plugins (logging, options, HTTP clients…) is added only when
/// the host has none, except for the types meant to have many registrations (options setup). Hosted services are
/// wrapped too: a plugin's failing hosted service must not stop the host.
/// </summary>
internal static class PluginRegistrations
{
    private static readonly HashSet<Type> Enumerable =
    [
        typeof(IConfigureOptions<>), typeof(IConfigureNamedOptions<>), typeof(IPostConfigureOptions<>),
        typeof(IValidateOptions<>), typeof(IOptionsChangeTokenSource<>), typeof(Coordination.ILogConsumer),
    ];

    public static void CopyInto(IServiceCollection host, IServiceCollection plugin, string name, PluginGuards guards)
    {
        foreach (var descriptor in plugin)
        {
            // ValidateOnStart would let a plugin's options stop the host from starting; a plugin checks its options
            // in ConfigureServices instead, where a failure skips the plugin alone.
            if (IsStartupValidation(descriptor.ServiceType)) continue;

            if (descriptor.ServiceType == typeof(IMessageConnector))
            {
                host.Add(Wrap(descriptor, (services, create) => new PluginMessageConnector(services, guards, name, create, OwnsInstance(descriptor))));
            }
            else if (descriptor.ServiceType == typeof(ICrmRule))
            {
                host.Add(Wrap(descriptor, (services, create) => new PluginRule(services, guards, name, create)));
            }
            else if (descriptor.ServiceType == typeof(ICrmBackgroundWork))
            {
                host.Add(Wrap(descriptor, (services, create) => new PluginBackgroundWork(services, guards, name, create)));
            }
            else if (descriptor.ServiceType == typeof(IHostedService))
            {
                host.Add(Wrap(descriptor, (services, create) => new PluginHostedService(services, guards, name, create, OwnsInstance(descriptor))));
            }
            else if (IsPluginOwn(descriptor.ServiceType) || Enumerable.Contains(Definition(descriptor.ServiceType)))
            {
                host.Add(descriptor);
            }
            else
            {
                host.TryAdd(descriptor);
            }
        }
    }

    private static bool IsStartupValidation(Type type) =>
        type.FullName == "Microsoft.Extensions.Options.IStartupValidator"
        || (type.IsConstructedGenericType && type.GetGenericArguments()[0].FullName == "Microsoft.Extensions.Options.StartupValidatorOptions");

    /// <summary>A registration that creates the plugin's object as it was registered and hands it to a guard.</summary>
    private static ServiceDescriptor Wrap(ServiceDescriptor descriptor, Func<IServiceProvider, Func<object>, object> guard)
    {
        if (descriptor.IsKeyedService)
        {
            return new ServiceDescriptor(descriptor.ServiceType, descriptor.ServiceKey,
                (services, key) => guard(services, () => CreateKeyed(services, descriptor, key)), descriptor.Lifetime);
        }

        return new ServiceDescriptor(descriptor.ServiceType, services => guard(services, () => Create(services, descriptor)), descriptor.Lifetime);
    }

    private static object Create(IServiceProvider services, ServiceDescriptor d) =>
        d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(services) ?? ActivatorUtilities.CreateInstance(services, d.ImplementationType!);

    private static object CreateKeyed(IServiceProvider services, ServiceDescriptor d, object? key) =>
        d.KeyedImplementationInstance ?? d.KeyedImplementationFactory?.Invoke(services, key)
        ?? ActivatorUtilities.CreateInstance(services, d.KeyedImplementationType!);

    // The container does not dispose instances it was handed; neither does the guard.
    private static bool OwnsInstance(ServiceDescriptor d) => d.IsKeyedService ? d.KeyedImplementationInstance is null : d.ImplementationInstance is null;

    private static Type Definition(Type type) => type.IsGenericType ? type.GetGenericTypeDefinition() : type;

    /// <summary>True for a type defined by the plugin (or closed over one of its types): nothing of the host's can clash with it.</summary>
    private static bool IsPluginOwn(Type type) =>
        AssemblyLoadContext.GetLoadContext(type.Assembly) != AssemblyLoadContext.Default
        || (type.IsConstructedGenericType && type.GetGenericArguments().Any(IsPluginOwn));
}
