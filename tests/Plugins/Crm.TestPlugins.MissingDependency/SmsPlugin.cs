using Crm.Engine.Plugins;
using Crm.TestPlugins.Unshipped;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugins.MissingDependency;

/// <summary>Needs <see cref="SmsGateway"/> from an assembly that is not in its folder.</summary>
public sealed class SmsPlugin : ICrmPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context) => services.AddSingleton(new SmsGateway());
}
