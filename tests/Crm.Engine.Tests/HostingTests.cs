using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Crm.Engine.Hosting;
using Crm.Engine.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task An_application_that_already_runs_Orleans_adds_the_engine_to_its_silo()
    {
        var dir = Path.Combine(Path.GetTempPath(), "crm-host-" + Guid.NewGuid().ToString("N"));
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.UseOrleans(silo => silo
                .UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort())
                .AddCrmEngine(o =>
                {
                    o.UseSqlite(Path.Combine(dir, "crm.db"));
                    o.DefaultTenant = "shop";
                    o.DefaultActor = Actor.User("app");
                }));
            using var host = builder.Build();
            await host.StartAsync(TestContext.Current.CancellationToken);

            var crm = host.Services.GetRequiredService<ICrmClient>();
            Assert.Equal("shop", crm.Tenant);
            var created = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Embedded" });
            var history = await crm.GetHistoryAsync(RecordTypes.Contact, created.Id);
            Assert.Equal(Actor.User("app"), Assert.Single(history.Items).Actor);
            Assert.True(File.Exists(Path.Combine(dir, "crm.db")));

            await host.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_engine_brings_one_rule_compiler_and_runtime_and_keeps_an_application_s_own()
    {
        var own = new Rules.JavaScript.JavaScriptRuleRuntime(maxPerTenant: 1);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(own);
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort())
            .AddCrmEngine(o => o.UseSqlite(Path.Combine(Path.GetTempPath(), "crm-unused-" + Guid.NewGuid().ToString("N"), "crm.db"))));
        using var host = builder.Build();

        var compiler = host.Services.GetRequiredService<Rules.JavaScript.JavaScriptRuleCompiler>();
        Assert.Same(compiler, host.Services.GetRequiredService<Rules.JavaScript.JavaScriptRuleCompiler>());
        Assert.Same(own, host.Services.GetRequiredService<Rules.JavaScript.JavaScriptRuleRuntime>());
    }

    [Fact]
    public void Adding_the_engine_without_a_store_fails_with_a_clear_message()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var ex = Assert.Throws<InvalidOperationException>(() => builder.UseOrleans(silo => silo.AddCrmEngine(_ => { })));
        Assert.Contains("UseSqlite", ex.Message);
    }

    [Fact]
    public async Task A_store_that_cannot_be_opened_fails_start_up_with_a_clear_message()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.None);
        builder.AddCrmEngine(o => o.UseEventStore(
            (_, _) => Task.FromException<Storage.IEventStore>(new InvalidOperationException("connection refused (127.0.0.1:1)")), sharedByNodes: true));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<EventStoreUnavailableException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("could not open its event store", ex.Message);
        Assert.Contains("connection refused (127.0.0.1:1)", ex.Message);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
