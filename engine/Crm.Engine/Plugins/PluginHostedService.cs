using Microsoft.Extensions.Hosting;

namespace Crm.Engine.Plugins;

/// <summary>
/// A plugin's <see cref="IHostedService"/> as the host runs it: a throw from its start or stop, or the end of its
/// <see cref="BackgroundService.ExecuteTask"/> with an error, is logged and recorded in the catalog instead of
/// stopping the host. (A plugin's <c>BackgroundService</c> is not restarted: <see cref="ICrmBackgroundWork"/> is.)
/// </summary>
internal sealed class PluginHostedService : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly IServiceProvider _services;
    private readonly PluginGuards _guards;
    private readonly string _plugin;
    private readonly IHostedService? _inner;
    private readonly bool _ownsInner;

    public PluginHostedService(IServiceProvider services, PluginGuards guards, string plugin, Func<object> create, bool ownsInner)
    {
        _services = services;
        _ownsInner = ownsInner;
        _guards = guards;
        _plugin = plugin;
        try
        {
            _inner = (IHostedService)create();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            guards.Fault(services, plugin, "a hosted service", ex);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_inner is null) return;
        try
        {
            await _inner.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            Failed("could not start", ex);
            return;
        }

        if (_inner is BackgroundService { ExecuteTask: { } running })
        {
            _ = running.ContinueWith(t => Failed("stopped with an error", t.Exception!.GetBaseException()),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_inner is null) return;
        try
        {
            await _inner.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Failed("failed to stop", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_ownsInner) return;
        if (_inner is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        else if (_inner is IDisposable disposable) disposable.Dispose();
    }

    public void Dispose()
    {
        if (!_ownsInner) return;
        if (_inner is IDisposable disposable) disposable.Dispose();
        else if (_inner is IAsyncDisposable asyncDisposable) asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private void Failed(string what, Exception ex)
    {
        var service = _inner?.GetType().Name ?? "?";
        _guards.Catalog.AddFault(_plugin, $"hosted service {service} {what}: {PluginFailures.Describe(ex)}");
        PluginLog.HostedServiceFailed(PluginGuards.Logger(_services), ex, _plugin, service);
    }
}
