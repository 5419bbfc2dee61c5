using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Crm.Server.IntegrationTests;

/// <summary>A local HTTP endpoint on a free port that records each request and answers with the status a test chooses.</summary>
internal sealed class HttpSink : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public sealed record Received(string Method, string Path, string Body, string? Authorization, string? IdempotencyKey,
        System.Collections.Specialized.NameValueCollection Headers);

    public HttpSink()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url(string path) => $"http://127.0.0.1:{Port}/{path.TrimStart('/')}";
    public ConcurrentQueue<Received> Requests { get; } = new();
    public Func<Received, HttpStatusCode> Answer { get; set; } = _ => HttpStatusCode.OK;

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
            var received = new Received(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, await reader.ReadToEndAsync(),
                context.Request.Headers["Authorization"], context.Request.Headers["Idempotency-Key"], context.Request.Headers);
            Requests.Enqueue(received);
            context.Response.StatusCode = (int)Answer(received);
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
