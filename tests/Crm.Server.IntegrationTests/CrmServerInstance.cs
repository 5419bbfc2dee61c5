using System.Security.Cryptography;
using Crm.Engine.Client;
using Crm.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Server.IntegrationTests;

/// <summary>The real server (Kestrel on a free loopback port, co-hosted silo, SQLite in <see cref="DataPath"/>), started in-process.</summary>
public sealed class CrmServerInstance : IAsyncDisposable
{
    private CrmServerInstance(WebApplication app, Uri baseAddress, string dataPath, string bootstrapKey)
    {
        App = app;
        BaseAddress = baseAddress;
        DataPath = dataPath;
        BootstrapKey = bootstrapKey;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Bootstrap = new CrmHttpClient(Http, bootstrapKey);
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public string DataPath { get; }

    /// <summary>The admin key of the bootstrap tenant (<c>default</c>), which may create tenants.</summary>
    public string BootstrapKey { get; }

    /// <summary>A client without default headers; requests carry their own key.</summary>
    public HttpClient Http { get; }

    /// <summary>The API as the bootstrap admin.</summary>
    public CrmHttpClient Bootstrap { get; }

    public static string NewKey() => "test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>Starts a server on <paramref name="dataPath"/>, and waits until <c>/health/ready</c> says so.</summary>
    public static async Task<CrmServerInstance> StartAsync(string dataPath, string bootstrapKey, CancellationToken cancellationToken = default,
        params string[] extraArgs)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(CrmServerOptions).Assembly.GetName().Name,
            Args =
            [
                "--urls=http://127.0.0.1:0",
                $"--Crm:DataPath={dataPath}",
                $"--Crm:Auth:BootstrapKey={bootstrapKey}",
                "--Crm:RateLimit:PermitsPerSecond=100000",
                "--Crm:RateLimit:Burst=100000",
                "--Crm:RateLimit:PublicPermitsPerSecond=100000",
                "--Crm:RateLimit:PublicBurst=100000",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Orleans.Runtime.Silo=Error",
                .. extraArgs,
            ],
        });
        builder.AddCrmServer();
        var app = builder.Build();
        app.MapCrmServer();
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new CrmServerInstance(app, new Uri(address.EndsWith('/') ? address : address + "/"), dataPath, bootstrapKey);
        await Eventually.TrueAsync(async () => (await server.Http.GetAsync("health/ready", cancellationToken)).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30), "the server to be ready");
        return server;
    }

    /// <summary>A tenant no other test uses, with its admin client.</summary>
    public async Task<TenantScope> NewTenantAsync(CancellationToken cancellationToken = default)
    {
        var id = "t" + Guid.NewGuid().ToString("N")[..12];
        var created = await Bootstrap.Tenants.CreateAsync(id, "Tenant " + id, cancellationToken: cancellationToken);
        return new TenantScope(this, id, new CrmHttpClient(Http, created.AdminKey), created.AdminKey);
    }

    public CrmHttpClient Client(string apiKey) => new(Http, apiKey);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await App.StopAsync(CancellationToken.None);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}

/// <summary>One tenant of a test: its admin, and users with keys per role made through the API.</summary>
public sealed class TenantScope(CrmServerInstance server, string id, CrmHttpClient admin, string adminKey)
{
    public CrmServerInstance Server { get; } = server;

    public string Id { get; } = id;

    public CrmHttpClient Admin { get; } = admin;

    public string AdminKey { get; } = adminKey;

    /// <summary>Creates a user with this role (<c>POST /users</c>) and a key for it (<c>POST /keys</c>).</summary>
    public async Task<TenantUser> AddUserAsync(ApiRole role, string? name = null, CancellationToken cancellationToken = default)
    {
        var roleName = CrmKeys.RoleName(role);
        name ??= roleName + "-" + Guid.NewGuid().ToString("N")[..6];
        var user = await Admin.Users.CreateAsync(new()
        {
            ["name"] = name,
            ["email"] = $"{name}@{Id}.example.com",
            ["role"] = roleName,
        }, cancellationToken: cancellationToken);
        var key = await Admin.Keys.CreateAsync(user.Id, role, name + " key", cancellationToken);
        return new TenantUser(user.Id, role, key.Key, key.Info.KeyId, Server.Client(key.Key));
    }
}

public sealed record TenantUser(string UserId, ApiRole Role, string Key, string KeyId, CrmHttpClient Client);
