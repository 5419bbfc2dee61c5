using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Net;
using System.Net.Sockets;

namespace Crm.Testing.Http;

/// <summary>
/// A local HTTP endpoint on a free port (a webhook receiver, an SMS gateway) that records each request and answers
/// with the status a test chooses. Shared by the test projects as a linked source file.
/// </summary>
internal sealed class HttpSink : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public sealed record Received(string Method, string Path, string Body, NameValueCollection Headers, HttpStatusCode Answered)
    {
        public string? Authorization => Headers["Authorization"];
        public string? IdempotencyKey => Headers["Idempotency-Key"];
        public string? WebhookId => Headers["webhook-id"];
    }

    /// <param name="port">A port to listen on (to come up where something already sends); a free one when null.</param>
    public HttpSink(int? port = null)
    {
        Port = port ?? FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>A loopback port nobody listens on yet.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public string Url(string path = "/hook") => $"http://127.0.0.1:{Port}/{path.TrimStart('/')}";

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>The status for a request, given how many came before it.</summary>
    public Func<Received, int, HttpStatusCode> Answer { get; set; } = (_, _) => HttpStatusCode.OK;

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
            var received = new Received(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, await reader.ReadToEndAsync(), context.Request.Headers, HttpStatusCode.OK);
            received = received with { Answered = Answer(received, Requests.Count) };
            Requests.Enqueue(received);
            context.Response.StatusCode = (int)received.Answered;
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
