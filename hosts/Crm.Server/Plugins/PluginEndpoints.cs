using System.Text.Json.Nodes;
using Crm.Engine.Plugins;
using Crm.Server.Api;
using Microsoft.Extensions.FileProviders;

namespace Crm.Server.Plugins;

/// <summary>The plugin catalog over HTTP, and the plugins' own endpoints and static assets.</summary>
internal static partial class PluginEndpoints
{
    /// <summary><c>GET /api/v1/plugins</c> (admins): every plugin folder found, what loaded, what failed and why.</summary>
    public static void MapPluginCatalog(this RouteGroupBuilder api) =>
        api.MapGet("/plugins", (CallerContext rc, PluginCatalog catalog) =>
        {
            rc.EnsureAdmin();
            return Results.Json(new JsonObject
            {
                ["engineVersion"] = catalog.EngineVersion.ToString(),
                ["enabled"] = catalog.Folder is not null,
                ["items"] = new JsonArray([.. catalog.Plugins.Select(p => (JsonNode)Json(p))]),
            });
        }).WithTags("plugins").WithName("list-plugins");

    /// <summary>
    /// For every loaded plugin: its <c>wwwroot</c> at <c>/p/{name}/assets/</c>, and for web plugins their endpoints
    /// under <c>/api/v1/plugins/{name}</c> (an API key, like the rest of <c>/api/v1</c>) and <c>/p/{name}</c>
    /// (anonymous). A plugin whose <c>MapEndpoints</c> throws gets no routes; the catalog says why.
    /// </summary>
    public static void MapCrmPlugins(this WebApplication app, RouteGroupBuilder api)
    {
        var catalog = app.Services.GetRequiredService<PluginCatalog>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Crm.Server.Plugins");
        foreach (var loaded in catalog.Loaded)
        {
            var name = loaded.Name;
            var assets = Path.Combine(loaded.Context.Directory, "wwwroot");
            if (Directory.Exists(assets))
            {
                app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(assets), RequestPath = $"/p/{name}/assets" });
            }

            if (loaded.Plugin is not ICrmWebPlugin web) continue;
            var apiRoutes = new StagedRoutes(Contain(api.MapGroup($"/plugins/{name}"), name, logger), $"/api/v1/plugins/{name}");
            var publicRoutes = new StagedRoutes(Contain(app.MapGroup($"/p/{name}"), name, logger), $"/p/{name}");
            try
            {
                web.MapEndpoints(new CrmPluginEndpoints(apiRoutes, publicRoutes), loaded.Context);
                var routes = apiRoutes.Describe().Concat(publicRoutes.Describe()).ToList();
                apiRoutes.Commit();
                publicRoutes.Commit();
                catalog.ReportEndpoints(name, routes);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var error = $"MapEndpoints threw {ex.GetType().Name}: {ex.Message}";
                catalog.ReportEndpointsFailed(name, error);
                LogMapFailed(logger, ex, name);
            }
        }
    }

    /// <summary>Tags the group for the OpenAPI document and turns what a plugin's handler throws into a problem response.</summary>
    private static RouteGroupBuilder Contain(RouteGroupBuilder group, string name, ILogger logger)
    {
        group.WithTags("plugin: " + name);
        group.AddEndpointFilter(async (ctx, next) =>
        {
            try
            {
                return await next(ctx);
            }
            catch (Exception ex) when (Problems.FromException(ex) is { } problem)
            {
                return problem;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException && !ctx.HttpContext.RequestAborted.IsCancellationRequested)
            {
                var request = ctx.HttpContext.Request;
                LogHandlerFailed(logger, ex, name, request.Method, request.Path);
                return Problems.Result(500, "plugin_error", "A plugin failed",
                    $"Plugin '{name}' failed to handle {request.Method} {request.Path}; the error was logged.", extensions: new JsonObject { ["plugin"] = name });
            }
        });
        return group;
    }

    private static JsonObject Json(PluginStatus p) => new()
    {
        ["name"] = p.Name,
        ["version"] = p.Version,
        ["description"] = p.Description,
        ["folder"] = Path.GetFileName(p.Folder),
        ["state"] = p.State == PluginState.Loaded ? "loaded" : "failed",
        ["reason"] = p.Reason,
        ["error"] = p.Error,
        ["connectors"] = Strings(p.Connectors),
        ["rules"] = Strings(p.Rules),
        ["backgroundWork"] = Strings(p.BackgroundWork),
        ["endpoints"] = Strings(p.Endpoints),
        ["endpointsError"] = p.EndpointsError,
        ["faults"] = Strings(p.Faults),
    };

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plugin {Plugin}: its endpoints were not mapped")]
    private static partial void LogMapFailed(ILogger logger, Exception exception, string plugin);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plugin {Plugin} failed to handle {Method} {Path}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string plugin, string method, string path);
}
