namespace Crm.Engine.Plugins;

/// <summary>
/// A plugin's background work as the engine runs it: started on a pool thread (a plugin that blocks does not hold up
/// the engine), let go of when cancelled even if the plugin ignores the token, and a return before cancellation
/// counts as a failure (so it is restarted after the usual back-off rather than in a tight loop).
/// </summary>
internal sealed class PluginBackgroundWork : ICrmBackgroundWork
{
    private readonly ICrmBackgroundWork? _inner;

    public PluginBackgroundWork(IServiceProvider services, PluginGuards? guards, string? plugin, Func<object> create)
    {
        Plugin = plugin;
        try
        {
            _inner = (ICrmBackgroundWork)create();
            Name = _inner.Name is { Length: > 0 } name ? name : throw new InvalidOperationException("its Name is empty");
            if (plugin is not null) guards?.Catalog.AddBackgroundWork(plugin, Name);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && plugin is not null && guards is not null)
        {
            Name = "";
            guards.Fault(services, plugin, "background work", ex);
        }
    }

    /// <summary>The plugin it belongs to; null for work the application registered itself.</summary>
    public string? Plugin { get; }

    public string Name { get; }

    /// <summary>False when the work could not be created (the catalog says why).</summary>
    public bool IsAvailable => _inner is not null;

    /// <summary>The lease it runs under: <c>plugin.&lt;plugin&gt;.&lt;work&gt;</c>, or <c>work.&lt;work&gt;</c> for the application's own.</summary>
    public string LeaseName => Plugin is null ? $"work.{Name}" : $"plugin.{Plugin}.{Name}";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_inner is null) throw new InvalidOperationException($"Background work of plugin '{Plugin}' could not be created.");
        var inner = _inner;
        await Task.Run(() => inner.RunAsync(cancellationToken), cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"Background work '{Name}' returned before it was cancelled; it is started again.");
        }
    }
}
