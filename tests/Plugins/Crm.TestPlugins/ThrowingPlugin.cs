using Crm.Engine.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugins;

/// <summary>Fails in ConfigureServices, as a plugin missing its settings would.</summary>
public sealed class ThrowingPlugin : ICrmPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
        services.AddSingleton(new object());
        throw new InvalidOperationException($"no licence key in Crm:Plugins:{context.Name}:LicenceKey");
    }
}

/// <summary>Registers a rule whose id another plugin (Flaky) already uses.</summary>
public sealed class RuleClashPlugin : ICrmPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context) => services.AddSingleton<Crm.Engine.Rules.ICrmRule, ExplodingRule>();
}
