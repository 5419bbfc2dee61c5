using Crm.Engine.Plugins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugins;

/// <summary>Endpoints for the host tests: <c>/p/&lt;Name&gt;/boom</c> throws; <c>/api/v1/plugins/&lt;Name&gt;/whoami</c> answers the caller's tenant.</summary>
public sealed class WebPlugin : ICrmWebPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
    }

    public void MapEndpoints(CrmPluginEndpoints endpoints, CrmPluginContext context)
    {
        endpoints.Public.MapGet("/boom", string () => throw new InvalidOperationException("the plugin's handler broke"));
        endpoints.Api.MapGet("/whoami", (HttpContext http) => Results.Json(new { tenant = http.User.FindFirst(CrmClaimTypes.Tenant)?.Value }));
    }
}

/// <summary>Throws from MapEndpoints after mapping one route: none of its routes may be served.</summary>
public sealed class BrokenEndpointsPlugin : ICrmWebPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
    }

    public void MapEndpoints(CrmPluginEndpoints endpoints, CrmPluginContext context)
    {
        endpoints.Public.MapGet("/early", () => "mapped before the failure");
        throw new InvalidOperationException("route table template missing");
    }
}
