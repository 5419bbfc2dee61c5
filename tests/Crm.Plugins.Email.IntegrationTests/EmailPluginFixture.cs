using System.Security.Claims;
using System.Text.Json;
using Crm.Engine.Hosting;
using Crm.Engine.Plugins;
using Crm.Plugins.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Plugins.Email.IntegrationTests;

/// <summary>
/// The one place tests obtain the e-mail plugin: its build output is copied into a plugins folder and the engine loads
/// it from there through the plugin loader, as a host does (manifest, load context, <c>ConfigureServices</c> with the
/// section <c>Crm:Plugins:Email</c>, background work under a lease). Its endpoints are mapped on a small ASP.NET Core
/// host here, standing in for Crm.Server.
/// </summary>
internal static class EmailPluginFixture
{
    private static readonly Lazy<TestPluginFolder> Folder = new(() =>
    {
        var folder = new TestPluginFolder().AddFirstParty("Crm.Plugins.Email", "Email");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Dispose();
        return folder;
    });

    /// <summary>The plugins folder holding the built plugin (read only; shared by the tests).</summary>
    public static TestPluginFolder PluginsFolder() => Folder.Value;

    /// <summary>Has the engine load the plugins in <paramref name="folder"/>, with their settings under <c>Crm:Plugins</c> of <paramref name="configuration"/>.</summary>
    public static void LoadFrom(CrmEngineOptions options, TestPluginFolder folder, IConfiguration configuration)
    {
        options.Plugins.Folder = folder.Path;
        options.Plugins.Configuration = configuration.GetSection("Crm:Plugins");
    }

    /// <summary>
    /// Serves the plugin's endpoints over HTTP on <paramref name="port"/>, against the services of the engine it was
    /// added to: <c>/api/v1/plugins/{name}</c> for callers with <c>Authorization: Bearer &lt;tenant&gt;:&lt;role&gt;</c>
    /// (standing in for the host's API keys), <c>/p/{name}</c> for anyone.
    /// </summary>
    public static async Task<WebApplication> StartWebHostAsync(IServiceProvider engineServices, int port)
    {
        var loaded = engineServices.GetRequiredService<PluginCatalog>().Loaded.Single(p => p.Context.Name == "Email");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.Use(async (http, next) =>
        {
            if (http.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal)
                && auth["Bearer ".Length..].Split(':') is [var tenant, var role])
            {
                http.User = new ClaimsPrincipal(new ClaimsIdentity(
                [
                    new Claim("crm:tenant", tenant), new Claim("crm:user", "u-test"), new Claim("crm:role", role), new Claim("crm:key", "key-" + role.ToLowerInvariant()),
                ], "ApiKey"));
            }

            // The plugin's services live in the engine's container, as they do in a host that loads it.
            await using var scope = engineServices.CreateAsyncScope();
            http.RequestServices = scope.ServiceProvider;
            await next(http);
        });
        var name = loaded.Context.Name;
        if (loaded.Plugin is ICrmWebPlugin web)
        {
            web.MapEndpoints(new CrmPluginEndpoints(app.MapGroup($"/api/v1/plugins/{name}"), app.MapGroup($"/p/{name}")), loaded.Context);
        }

        await app.StartAsync();
        return app;
    }
}
