using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Coordination;

/// <summary>Registers log consumers with the engine's once-per-cluster services.</summary>
public static class CoordinationServiceCollectionExtensions
{
    /// <summary>Runs <typeparamref name="T"/> as a log subscription on one node of the cluster at a time.</summary>
    public static IServiceCollection AddCrmLogConsumer<T>(this IServiceCollection services)
        where T : class, ILogConsumer
    {
        services.AddSingleton<ILogConsumer, T>();
        return services;
    }

    /// <summary>Runs the consumer the factory makes as a log subscription on one node of the cluster at a time.</summary>
    public static IServiceCollection AddCrmLogConsumer(this IServiceCollection services, Func<IServiceProvider, ILogConsumer> factory)
    {
        services.AddSingleton(factory);
        return services;
    }
}
