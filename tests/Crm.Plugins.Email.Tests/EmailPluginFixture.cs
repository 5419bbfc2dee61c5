using System.Security.Claims;
using System.Text.Json;
using Crm.Engine.Plugins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Plugins.Email.Tests;

/// <summary>
/// The one place tests obtain the e-mail plugin. For now it does what the host's plugin loader will do: reads the
/// manifest (<c>plugin.json</c>, copied next to the tests), creates the entry type it names, calls
/// <see cref="ICrmPlugin.ConfigureServices"/> with the plugin's section <c>Crm:Plugins:Email</c> (the engine runs the
/// background work it registers), and maps its endpoints on a small ASP.NET Core host.
/// </summary>
internal static class EmailPluginFixture
{
    /// <summary>Adds the plugin to an engine's services, configured from <paramref name="configuration"/> (the host's root).</summary>
    public static void AddEmailPlugin(IServiceCollection services, IConfiguration configuration)
    {
        var manifestPath = Path.Combine(AppContext.BaseDirectory, "plugin.json");
        var manifest = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllText(manifestPath), JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException($"{manifestPath} is empty.");
        var assembly = System.Reflection.Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, manifest.Assembly));
        var plugin = (ICrmPlugin)Activator.CreateInstance(assembly.GetType(manifest.EntryType, throwOnError: true)!)!;
        var context = new CrmPluginContext(manifest.Name, Version.Parse(manifest.Version), AppContext.BaseDirectory,
            configuration.GetSection("Crm:Plugins:" + manifest.Name), typeof(ICrmPlugin).Assembly.GetName().Version ?? new Version(1, 0));
        plugin.ConfigureServices(services, context);
        services.AddSingleton(new LoadedPlugin(plugin, context));
        // Its background work (the mailbox readers) is run by the engine, under a lease, like an application's own.
    }

    /// <summary>
    /// Serves the plugin's endpoints over HTTP on <paramref name="port"/>, against the services of the engine it was
    /// added to: <c>/api/v1/plugins/{name}</c> for callers with <c>Authorization: Bearer &lt;tenant&gt;:&lt;role&gt;</c>
    /// (standing in for the host's API keys), <c>/p/{name}</c> for anyone.
    /// </summary>
    public static async Task<WebApplication> StartWebHostAsync(IServiceProvider engineServices, int port)
    {
        var loaded = engineServices.GetRequiredService<LoadedPlugin>();
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

    private sealed record LoadedPlugin(ICrmPlugin Plugin, CrmPluginContext Context);
}
