using Crm.Engine.Testing;

namespace Crm.Engine.CrashHost;

/// <summary>Owns a data directory through a running engine until standard input closes, then stops cleanly.</summary>
internal static class DirectoryHolder
{
    public static async Task<int> RunAsync(CrashHostArguments arguments, CancellationToken stop)
    {
        var engine = await CrmTestEngine.StartAsync(dataDirectory: arguments.DataDirectory, cancellationToken: stop);
        try
        {
            HostOutput.Print(HostOutput.Ready);
            try
            {
                await Task.Delay(Timeout.Infinite, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
        finally
        {
            await engine.DisposeAsync();
        }

        HostOutput.Print(HostOutput.Released);
        return 0;
    }
}
