using Crm.Engine.Cluster;
using Crm.Engine.Coordination;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.Engine.Rules;

/// <summary>Registers compiled C# rules and the rules runtime.</summary>
public static class RuleServiceCollectionExtensions
{
    /// <summary>Adds a compiled C# rule that applies to every tenant.</summary>
    public static IServiceCollection AddCrmRule<T>(this IServiceCollection services)
        where T : class, ICrmRule
    {
        services.AddSingleton<ICrmRule, T>();
        return services;
    }

    /// <summary>Adds a compiled C# rule instance that applies to every tenant.</summary>
    public static IServiceCollection AddCrmRule(this IServiceCollection services, ICrmRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        services.AddSingleton(rule);
        return services;
    }

    internal static IServiceCollection AddCrmRulesRuntime(this IServiceCollection services, RuleOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(_ => new JavaScript.JavaScriptRuleCompiler());
        services.TryAddSingleton(_ => new JavaScript.JavaScriptRuleRuntime());
        services.TryAddSingleton<RuleCompiler>();
        services.TryAddSingleton<EngineWideRules>();
        services.TryAddSingleton<RuleSetProvider>();
        services.AddSingleton<IStreamChangeObserver>(sp => sp.GetRequiredService<RuleSetProvider>());
        services.TryAddSingleton<RuleHealth>();
        services.TryAddSingleton<RulePipeline>();
        services.TryAddSingleton<RuleActionExecutor>();
        services.AddSingleton<ILogConsumer, RuleReactor>();
        return services;
    }
}
