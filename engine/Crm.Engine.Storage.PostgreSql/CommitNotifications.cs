using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Wakes this node's log followers when any node commits appends: at once for this node's commits, and through
/// PostgreSQL's LISTEN/NOTIFY for the others'. A notification is only a wake-up — followers read the head again and
/// still stay below the high-water mark — so one lost while the listening connection is down costs nothing but the
/// wait until the next poll.
/// </summary>
internal sealed class CommitNotifications : IAsyncDisposable
{
    // A silently dead connection would never deliver again; a round trip now and then finds out.
    private static readonly TimeSpan ListenerCheck = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _channel;
    private readonly string _node = Guid.NewGuid().ToString("N");
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();

    // At most one request waits while a notification is being sent: commits made meanwhile share the next one.
    private readonly Channel<bool> _toSend = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Task _listener;
    private readonly Task _sender;
    private TaskCompletionSource _next = NewSignal();

    public CommitNotifications(NpgsqlDataSource dataSource, string schema, ILogger logger)
    {
        _dataSource = dataSource;
        _channel = "crm_commits_" + schema;
        _logger = logger;
        _listener = Task.Run(ListenAsync);
        _sender = Task.Run(SendAsync);
    }

    /// <summary>Completes at the next commit this node makes or hears of; read it before reading the head.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>This node committed appends: wake its followers and tell the other nodes.</summary>
    public void Committed()
    {
        Wake();
        _toSend.Writer.TryWrite(true);
    }

    public async ValueTask DisposeAsync()
    {
        _toSend.Writer.TryComplete();
        await _closing.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_listener, _sender).ConfigureAwait(false);
        _closing.Dispose();
    }

    private void Wake() => Interlocked.Exchange(ref _next, NewSignal()).TrySetResult();

    private async Task SendAsync()
    {
        // Outside the appends' transactions: a transaction that notifies holds a lock every notifying commit of the
        // server queues on until it is durable. This one does not wait to be durable; a wake-up needs no durability.
        var sql = "SELECT set_config('synchronous_commit', 'off', true), pg_notify(@channel, @node)";
        try
        {
            await foreach (var _ in _toSend.Reader.ReadAllAsync(_closing.Token).ConfigureAwait(false))
            {
                try
                {
                    await using var command = _dataSource.CreateCommand(sql);
                    command.Parameters.AddWithValue("channel", _channel);
                    command.Parameters.AddWithValue("node", _node);
                    await command.ExecuteNonQueryAsync(_closing.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.NotifyFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
    }

    private async Task ListenAsync()
    {
        var failures = 0;
        while (!_closing.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(_closing.Token).ConfigureAwait(false);
                connection.Notification += (_, e) =>
                {
                    // This node's own commits woke its followers already.
                    if (e.Payload != _node)
                    {
                        Wake();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {_channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(_closing.Token).ConfigureAwait(false);
                }

                // Commits made while nobody listened were not heard: followers look again now.
                failures = 0;
                Wake();
                while (true)
                {
                    if (!await connection.WaitAsync(ListenerCheck, _closing.Token).ConfigureAwait(false))
                    {
                        await using var check = new NpgsqlCommand("SELECT 1", connection);
                        await check.ExecuteNonQueryAsync(_closing.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ListenerLost(_logger, ex);
                Wake();
            }

            // The first retry at once (a restarted server, a killed session), then backing off while it fails.
            var delay = failures == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(MaxReconnectDelay.TotalMilliseconds, 100 * Math.Pow(2, failures)));
            failures++;
            try
            {
                await Task.Delay(delay, _closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
