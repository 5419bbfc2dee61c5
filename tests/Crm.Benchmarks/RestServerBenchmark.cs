using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Benchmarks;

/// <summary>
/// (e) The REST server over loopback. The real server (<c>AddCrmServer</c>/<c>MapCrmServer</c>: Kestrel, API-key
/// authentication, rate limiter, co-hosted silo over SQLite) is started in this process on a free port, and concurrent
/// clients share one <see cref="HttpClient"/>: <c>POST /api/v1/contacts</c>, then <c>GET /api/v1/contacts/{id}</c> of
/// the created ids. Beside it the same creates and reads go through that server's own <see cref="ICrmClient"/>, with
/// as many concurrent loops, so the two rows differ by what HTTP, authentication and JSON cost.
/// </summary>
internal static class RestServerBenchmark
{
    private const string Key = "bench-admin-key-00000000000000000001";

    private static readonly AuthenticationHeaderValue Authorization = new("Bearer", Key);

    /// <summary>
    /// One timed run of one operation: throughput, the latency each caller saw, and how many cores other processes
    /// kept busy meanwhile (they compete for the same two cores, and lower every figure of the run).
    /// </summary>
    public sealed record Phase(Measurement Measurement, double P50Ms, double P99Ms, double MaxMs, double OtherCoresBusy, string Details);

    public sealed record Result(
        Phase HttpCreates,
        Phase ClientCreates,
        Phase HttpGets,
        Phase ClientGets,
        Phase EmptyRequests,
        Phase AnonymousRequests,
        TimeSpan StartUp,
        int Connections,
        TimeSpan JitSettle);

    /// <summary>
    /// Needs <c>2 × (operations + warmUp)</c> contacts: HTTP and in-process creates use different ones, since an email
    /// may belong to one contact of a tenant only.
    /// </summary>
    public static async Task<Result> RunAsync(IReadOnlyList<ContactInput> contacts, int operations, int warmUp, int clients, Action<string> progress)
    {
        var perPath = operations + warmUp;
        if (contacts.Count < 2 * perPath)
        {
            throw new ArgumentException($"Needs {2 * perPath} contacts, got {contacts.Count}.", nameof(contacts));
        }

        var bodies = contacts.Take(perPath).Select(c => Encoding.UTF8.GetBytes(c.ToFields().ToJsonString())).ToArray();
        var fields = contacts.Skip(perPath).Take(perPath).Select(c => c.ToFields()).ToArray();

        using var directory = new TempDataDirectory("rest");
        var starting = Stopwatch.StartNew();
        var app = await StartServerAsync(directory.Path);
        try
        {
            var connections = 0;
            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = clients,
                UseProxy = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                ConnectCallback = async (context, cancellationToken) =>
                {
                    Interlocked.Increment(ref connections);
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                        return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            })
            {
                BaseAddress = Address(app),
                Timeout = TimeSpan.FromSeconds(60),
            };
            await WaitUntilReadyAsync(http);
            starting.Stop();

            var crm = app.Services.GetRequiredService<ICrmClient>();
            var createUri = new Uri(http.BaseAddress!, "api/v1/contacts");
            var liveUri = new Uri(http.BaseAddress!, "health/live");
            var httpIds = new string[perPath];
            var clientIds = new string[perPath];
            using var metrics = new StoreBatchMetrics();

            // Warm-up of every path, in the order they are timed, so the compiler has seen all of them before any is timed.
            progress($"(e) warm-up: {warmUp:N0} creates and reads each over HTTP and in-process, {clients} clients");
            await HttpCreatesAsync(http, createUri, bodies, httpIds, 0, warmUp, clients);
            await ClientCreatesAsync(crm, fields, clientIds, 0, warmUp, clients);
            await HttpGetsAsync(http, GetUris(http, httpIds), 0, warmUp, clients);
            await ClientGetsAsync(crm, clientIds, 0, warmUp, clients);
            await EmptyRequestsAsync(http, liveUri, authenticated: true, warmUp, clients);
            await EmptyRequestsAsync(http, liveUri, authenticated: false, warmUp, clients);
            await CheckReadBackAsync(http, httpIds[0], contacts[0]);
            var settled = await JitSettledAsync();

            progress($"(e) POST /api/v1/contacts: {operations:N0} creates, {clients} clients");
            var httpCreates = await TimeAsync(operations, metrics, latencies => HttpCreatesAsync(http, createUri, bodies, httpIds, warmUp, operations, clients, latencies));
            progress($"(e) ICrmClient.CreateAsync: {operations:N0} creates, {clients} loops");
            var clientCreates = await TimeAsync(operations, metrics, latencies => ClientCreatesAsync(crm, fields, clientIds, warmUp, operations, clients, latencies));
            var getUris = GetUris(http, httpIds);
            progress($"(e) GET /api/v1/contacts/{{id}}: {operations:N0} reads, {clients} clients");
            var httpGets = await TimeAsync(operations, null, latencies => HttpGetsAsync(http, getUris, warmUp, operations, clients, latencies));
            progress($"(e) ICrmClient.GetAsync: {operations:N0} reads, {clients} loops");
            var clientGets = await TimeAsync(operations, null, latencies => ClientGetsAsync(crm, clientIds, warmUp, operations, clients, latencies));
            progress($"(e) GET /health/live with and without a key: {operations:N0} requests each, {clients} clients");
            var empty = await TimeAsync(operations, null, latencies => EmptyRequestsAsync(http, liveUri, authenticated: true, operations, clients, latencies));
            var anonymous = await TimeAsync(operations, null, latencies => EmptyRequestsAsync(http, liveUri, authenticated: false, operations, clients, latencies));
            return new Result(httpCreates, clientCreates, httpGets, clientGets, empty, anonymous, starting.Elapsed, Volatile.Read(ref connections), settled);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// Waits, up to 2 s, until no method has been compiled for half a second: the warm-up leaves a queue of methods
    /// for the background compiler, which would otherwise compete with the first timed run for the two cores.
    /// </summary>
    private static async Task<TimeSpan> JitSettledAsync()
    {
        var waited = Stopwatch.StartNew();
        var compiled = RuntimeEvents.Instance.MethodsCompiled;
        var quiet = 0;
        while (quiet < 2 && waited.Elapsed < TimeSpan.FromSeconds(2))
        {
            await Task.Delay(250);
            var now = RuntimeEvents.Instance.MethodsCompiled;
            quiet = now == compiled ? quiet + 1 : 0;
            compiled = now;
        }

        return waited.Elapsed;
    }

    private static async Task<WebApplication> StartServerAsync(string dataPath)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(CrmServerOptions).Assembly.GetName().Name,
            // Not the data directory: configuration watches its content root, subfolders included, for changed
            // settings files, and would be woken by every write to the database and its log.
            ContentRootPath = AppContext.BaseDirectory,
            Args =
            [
                "--urls=http://127.0.0.1:0",
                $"--Crm:DataPath={dataPath}",
                $"--Crm:Auth:BootstrapKey={Key}",
                "--Crm:RateLimit:PermitsPerSecond=10000000",
                "--Crm:RateLimit:Burst=10000000",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Orleans.Runtime.Silo=Error",
            ],
        });
        builder.AddCrmServer();
        var app = builder.Build();
        app.MapCrmServer();
        await app.StartAsync();
        return app;
    }

    private static Uri Address(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }

    private static async Task WaitUntilReadyAsync(HttpClient http)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync("health/ready");
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"The server was not ready after 60 s: /health/ready answered {(int)response.StatusCode}.");
            }

            await Task.Delay(20);
        }
    }

    private static Uri[] GetUris(HttpClient http, string[] ids) =>
        [.. ids.Select(id => id is null ? http.BaseAddress! : new Uri(http.BaseAddress!, "api/v1/contacts/" + Uri.EscapeDataString(id)))];

    /// <summary>One read over HTTP, checked against what was sent, so the timed requests are known to do the real work.</summary>
    private static async Task CheckReadBackAsync(HttpClient http, string id, ContactInput sent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/contacts/" + Uri.EscapeDataString(id));
        request.Headers.Authorization = Authorization;
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(body)!.AsObject();
        if (!response.IsSuccessStatusCode || (string?)json["id"] != id || (string?)json["lastName"] != sent.LastName
            || !string.Equals((string?)json["email"], sent.Email, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"GET of a created contact answered {(int)response.StatusCode}: {body}");
        }
    }

    private static async Task<Phase> TimeAsync(int operations, StoreBatchMetrics? metrics, Func<double[], Task> run)
    {
        var latencies = new double[operations];
        metrics?.Reset();
        var writer = metrics is null ? null : ThreadClock.StoreWriter();
        var machineBefore = MachineCpu.BusySeconds();
        var probe = Measurement.Start();
        await run(latencies);
        var measurement = probe.Stop(operations);
        var others = Math.Max(0, (MachineCpu.BusySeconds() - machineBefore) / measurement.Elapsed.TotalSeconds - measurement.CoresBusy);
        var details = metrics is null ? "" : metrics.Describe(measurement.Elapsed) + "; " + writer!.Describe(measurement.Elapsed);
        Array.Sort(latencies);
        return new Phase(measurement, MachineCpu.Percentile(latencies, 0.50), MachineCpu.Percentile(latencies, 0.99), latencies[^1], double.IsFinite(others) ? others : double.NaN, details);
    }

    /// <summary>Runs <paramref name="call"/> for indexes <c>start</c> to <c>start + count - 1</c> from <paramref name="loops"/> concurrent loops.</summary>
    private static Task RunAsync(int start, int count, int loops, double[]? latencies, Func<int, Task> call)
    {
        var next = start - 1;
        var end = start + count;

        async Task LoopAsync()
        {
            await Task.Yield();
            int i;
            while ((i = Interlocked.Increment(ref next)) < end)
            {
                var started = Stopwatch.GetTimestamp();
                await call(i);
                if (latencies is not null)
                {
                    latencies[i - start] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }
        }

        return Task.WhenAll(Enumerable.Range(0, loops).Select(_ => LoopAsync()));
    }

    private static Task HttpCreatesAsync(HttpClient http, Uri uri, byte[][] bodies, string[] ids, int start, int count, int clients, double[]? latencies = null) =>
        RunAsync(start, count, clients, latencies, async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(bodies[i]) };
            request.Headers.Authorization = Authorization;
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw await FailedAsync("POST /api/v1/contacts", response);
            }

            var location = response.Headers.Location!.OriginalString;
            ids[i] = Uri.UnescapeDataString(location[(location.LastIndexOf('/') + 1)..]);
        });

    private static Task HttpGetsAsync(HttpClient http, Uri[] uris, int start, int count, int clients, double[]? latencies = null) =>
        RunAsync(start, count, clients, latencies, async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uris[i]);
            request.Headers.Authorization = Authorization;
            using var response = await http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw await FailedAsync("GET /api/v1/contacts/{id}", response);
            }
        });

    /// <summary><c>/health/live</c> runs the whole middleware pipeline (authentication of the key when one is sent, rate limiter) but no engine call.</summary>
    private static Task EmptyRequestsAsync(HttpClient http, Uri uri, bool authenticated, int count, int clients, double[]? latencies = null) =>
        RunAsync(0, count, clients, latencies, async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (authenticated)
            {
                request.Headers.Authorization = Authorization;
            }

            using var response = await http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw await FailedAsync("GET /health/live", response);
            }
        });

    private static Task ClientCreatesAsync(ICrmClient crm, JsonObject[] fields, string[] ids, int start, int count, int loops, double[]? latencies = null) =>
        RunAsync(start, count, loops, latencies, async i => ids[i] = (await crm.CreateAsync(RecordTypes.Contact, fields[i])).Id);

    private static Task ClientGetsAsync(ICrmClient crm, string[] ids, int start, int count, int loops, double[]? latencies = null) =>
        RunAsync(start, count, loops, latencies, async i =>
        {
            if (await crm.GetAsync(RecordTypes.Contact, ids[i]) is null)
            {
                throw new InvalidOperationException($"ICrmClient.GetAsync found no contact {ids[i]}.");
            }
        });

    private static async Task<Exception> FailedAsync(string request, HttpResponseMessage response) =>
        new InvalidOperationException($"{request} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
}
