using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Crm.Engine.Tests;

/// <summary>A local HTTP endpoint on a free port that records each POST and answers with the status its script gives.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<int, HttpStatusCode> _status;
    private readonly Task _loop;

    public sealed record Delivery(string? WebhookId, string Body, HttpStatusCode Answered);

    public WebhookReceiver(Func<int, HttpStatusCode>? status = null, int? port = null)
    {
        _status = status ?? (_ => HttpStatusCode.OK);
        Port = port ?? FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/hook";
    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var status = _status(Deliveries.Count);
            Deliveries.Enqueue(new Delivery(context.Request.Headers["webhook-id"], body, status));
            context.Response.StatusCode = (int)status;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
