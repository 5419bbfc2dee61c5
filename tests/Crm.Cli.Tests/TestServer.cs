using System.Security.Cryptography;
using Crm.Engine.Client;
using Crm.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Cli.Tests;

/// <summary>The real Crm.Server (Kestrel on a free loopback port, co-hosted silo, SQLite in <see cref="DataPath"/>), started in-process.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, string url, string dataPath, string key)
    {
        _app = app;
        Url = url;
        DataPath = dataPath;
        AdminKey = key;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        Admin = new CrmHttpClient(Http, key);
    }

    public string Url { get; }

    public string DataPath { get; }

    /// <summary>The bootstrap admin key of the tenant <c>default</c>.</summary>
    public string AdminKey { get; }

    public HttpClient Http { get; }

    public CrmHttpClient Admin { get; }

    public static async Task<TestServer> StartAsync(string dataPath)
    {
        var key = "test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(CrmServerOptions).Assembly.GetName().Name,
            Args =
            [
                "--urls=http://127.0.0.1:0",
                $"--Crm:DataPath={dataPath}",
                $"--Crm:Auth:BootstrapKey={key}",
                "--Crm:RateLimit:PermitsPerSecond=100000",
                "--Crm:RateLimit:Burst=100000",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Orleans.Runtime.Silo=Error",
            ],
        });
        builder.AddCrmServer();
        var app = builder.Build();
        app.MapCrmServer();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new TestServer(app, address.EndsWith('/') ? address : address + "/", dataPath, key);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await server.Http.GetAsync("health/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The server did not become ready in 30 s.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
