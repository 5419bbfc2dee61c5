using System.Net;
using System.Net.Sockets;

namespace Crm.Plugins.Email.IntegrationTests.MailServers;

/// <summary>Free loopback ports, and waiting for a server to listen on one.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on the port; fails when <paramref name="alive"/> says the server died, or after <paramref name="timeout"/>.</summary>
    public static async Task WaitForListenerAsync(int port, TimeSpan timeout, Func<string?> alive)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (alive() is { } death) throw new InvalidOperationException(death);
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Nothing listened on port {port} within {timeout}.");
            }
        }
    }
}
