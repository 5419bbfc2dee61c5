using Crm.Engine.Messaging;
using Crm.Engine.Plugins;
using Crm.Engine.Rules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CustomPlugin;

/// <summary>The plugin's entry type, named in plugin.json; created once by the host.</summary>
public sealed class CustomCrmPlugin : ICrmWebPlugin
{
    /// <summary>Registers the connector and the rule; reads the settings in Crm:Plugins:CustomPlugin.</summary>
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
        var path = context.Configuration["Path"] is { Length: > 0 } configured ? configured : Path.Combine("data", "custom-plugin-messages.jsonl");
        services.AddSingleton(new MessageLogFile(Path.GetFullPath(path)));
        services.AddSingleton<IMessageConnector, LogConnector>();
        services.AddSingleton<ICrmRule, TagPartnerContacts>();
    }

    /// <summary>
    /// <c>GET /p/CustomPlugin/ping</c> for anyone (a health probe of the plugin), and
    /// <c>GET /api/v1/plugins/CustomPlugin/messages</c> for API keys: the messages logged for the caller's tenant.
    /// </summary>
    public void MapEndpoints(CrmPluginEndpoints endpoints, CrmPluginContext context)
    {
        endpoints.Public.MapGet("/ping", () => Results.Json(new PingResponse(context.Name, context.Version.ToString(), context.EngineVersion.ToString())));
        endpoints.Api.MapGet("/messages", async (HttpContext http, MessageLogFile log, CancellationToken cancellationToken) =>
        {
            var tenant = http.User.FindFirst(CrmClaimTypes.Tenant)?.Value;
            var lines = await log.ReadAsync(cancellationToken);
            return Results.Json(lines.Where(m => m.Tenant == tenant).TakeLast(50).ToList());
        });
    }
}

/// <summary>What <c>/p/CustomPlugin/ping</c> answers.</summary>
public sealed record PingResponse(string Plugin, string Version, string EngineVersion);
