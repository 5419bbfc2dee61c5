using Crm.Server.Api;

namespace Crm.Server;

/// <summary>
/// On shutdown, before the silo stops: new requests answer 503 (<c>Connection: close</c>, <c>Retry-After</c>) so a
/// load balancer or client sends them to another node, and requests already taken finish on a silo that still runs.
/// </summary>
internal sealed partial class RequestDrain(ILogger<RequestDrain> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private volatile bool _draining;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // Counted before the flag is read, and the flag set before the count is read: one of the two sees the other.
        Interlocked.Increment(ref _inFlight);
        try
        {
            if (_draining)
            {
                context.Response.Headers.Connection = "close";
                context.Response.Headers.RetryAfter = "1";
                await Problems.Write(context, StatusCodes.Status503ServiceUnavailable, "shutting_down", "Node shutting down",
                    "This node is shutting down; send the request to another node.");
                return;
            }

            await next(context);
        }
        finally
        {
            if (Interlocked.Decrement(ref _inFlight) == 0 && _draining) _idle.TrySetResult();
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        if (Volatile.Read(ref _inFlight) == 0) return;
        try
        {
            await _idle.Task.WaitAsync(MaxWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogDrainTimedOut(logger, Volatile.Read(ref _inFlight), MaxWait);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} requests were still running {Wait} after shutdown began; stopping anyway")]
    private static partial void LogDrainTimedOut(ILogger logger, int count, TimeSpan wait);
}
