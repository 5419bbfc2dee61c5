namespace Crm.Engine.CrashHost;

/// <summary>Notices when the process that started us closes our standard input (or dies, which closes it too).</summary>
internal static class ParentWatch
{
    public static async Task CancelOnEndOfInputAsync(CancellationTokenSource stop)
    {
        try
        {
            using var input = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (await input.ReadAsync(buffer, stop.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (IOException)
        {
        }

        await stop.CancelAsync();
    }
}
