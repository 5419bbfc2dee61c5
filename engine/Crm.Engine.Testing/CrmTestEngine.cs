using Crm.Engine.Hosting;
using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Testing;

/// <summary>
/// A complete engine in this process on a throw-away SQLite file, for application, rule and plugin tests:
/// <code>
/// await using var crm = await CrmTestEngine.StartAsync();
/// var contact = await crm.Client.CreateAsync("contact", new() { ["email"] = "ann@example.com" });
/// </code>
/// </summary>
public sealed class CrmTestEngine : IAsyncDisposable
{
    private readonly Action<CrmEngineOptions>? _configure;
    private readonly Action<IServiceCollection>? _services;
    private readonly bool _ownsDirectory;
    private IHost? _host;

    private CrmTestEngine(string dataDirectory, bool ownsDirectory, Action<CrmEngineOptions>? configure, Action<IServiceCollection>? services)
    {
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        _configure = configure;
        _services = services;
    }

    /// <summary>The directory holding the database file (deleted on dispose unless you passed it in).</summary>
    public string DataDirectory { get; }

    /// <summary>The database file.</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "crm.db");

    /// <summary>A client for the <c>default</c> tenant.</summary>
    public ICrmClient Client => Services.GetRequiredService<ICrmClient>();

    /// <summary>The running host's services (the event store, settings, the grain factory).</summary>
    public IServiceProvider Services => _host?.Services ?? throw new InvalidOperationException("The engine is not running.");

    /// <summary>The engine's event store.</summary>
    public IEventStore Store => Services.GetRequiredService<IEventStore>();

    /// <summary>A client for another tenant.</summary>
    public ICrmClient ForTenant(string tenant, Actor? actor = null) => Client.ForTenant(tenant, actor);

    /// <summary>
    /// Starts an engine. Without <paramref name="dataDirectory"/> a fresh temporary directory is used and deleted on dispose.
    /// </summary>
    public static async Task<CrmTestEngine> StartAsync(
        string? dataDirectory = null,
        Action<CrmEngineOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        CancellationToken cancellationToken = default)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "crm-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var engine = new CrmTestEngine(dataDirectory, owns, configure, services);
        await engine.StartHostAsync(cancellationToken);
        return engine;
    }

    /// <summary>Stops the host and starts a new one on the same file, as a process restart would.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopHostAsync(cancellationToken);
        await StartHostAsync(cancellationToken);
    }

    private async Task StartHostAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _services?.Invoke(builder.Services);
        builder.AddCrmEngine(o =>
        {
            o.UseSqlite(DatabasePath);
            _configure?.Invoke(o);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        _host = host;
    }

    private async Task StopHostAsync(CancellationToken cancellationToken)
    {
        if (_host is null) return;
        var host = _host;
        _host = null;
        await host.StopAsync(cancellationToken);
        if (host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        else host.Dispose();
    }

    /// <summary>Stops the engine and deletes the temporary directory it created.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopHostAsync(CancellationToken.None);
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
