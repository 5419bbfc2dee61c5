using Microsoft.AspNetCore.Routing;

namespace Crm.Engine.Plugins;

/// <summary>A plugin that serves HTTP: API endpoints for a tenant's callers, public endpoints (forms, unsubscribe links, inbound webhooks), and static UI assets.</summary>
public interface ICrmWebPlugin : ICrmPlugin
{
    /// <summary>Maps the plugin's endpoints. Called once, after the host's own routes; throwing skips the plugin's endpoints.</summary>
    void MapEndpoints(CrmPluginEndpoints endpoints, CrmPluginContext context);
}

/// <summary>Where a plugin's endpoints go.</summary>
public sealed class CrmPluginEndpoints(IEndpointRouteBuilder api, IEndpointRouteBuilder open)
{
    /// <summary><c>/api/v1/plugins/{name}/…</c>: callers are authenticated with an API key like every API call.</summary>
    public IEndpointRouteBuilder Api { get; } = api;

    /// <summary><c>/p/{name}/…</c>: no key (web forms, unsubscribe links, gateway callbacks); the plugin checks what it needs (signatures, tokens).</summary>
    public IEndpointRouteBuilder Public { get; } = open;
}
