using Crm.Engine.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugins;

/// <summary>
/// Background work <c>heartbeat</c> that writes to <c>Crm:Plugins:&lt;Name&gt;:Path</c> as node <c>…:Node</c>:
/// <c>start</c> when it starts, <c>threw</c> before it throws (the first run in the file only), <c>beat</c> every
/// 50 ms, and <c>stop</c> when cancelled.
/// </summary>
public sealed class HeartbeatPlugin : ICrmPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context) =>
        services.AddSingleton<ICrmBackgroundWork>(new Heartbeat(context.Configuration["Path"]!, context.Configuration["Node"] ?? "node"));
}

public sealed class Heartbeat(string path, string node) : ICrmBackgroundWork
{
    private static readonly Lock Gate = new();

    public string Name => "heartbeat";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Write("start");
        if (!File.ReadAllLines(path).Any(l => l.EndsWith(" threw", StringComparison.Ordinal)))
        {
            Write("threw");
            throw new InvalidOperationException("the first run fails");
        }

        try
        {
            while (true)
            {
                await Task.Delay(50, cancellationToken);
                Write("beat");
            }
        }
        finally
        {
            Write("stop");
        }
    }

    private void Write(string what)
    {
        lock (Gate) File.AppendAllText(path, $"{node} {what}\n");
    }
}
