namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// The committed head of the log and a signal raised after each commit, for readers that follow the log.
/// </summary>
internal sealed class CommitSignal
{
    private long _head;
    private TaskCompletionSource _next = NewSource();

    /// <summary>The highest committed position.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Called by the writer once a commit is durable.</summary>
    public void Committed(long head)
    {
        // Publish the head before waking waiters, so a woken waiter always sees it.
        Volatile.Write(ref _head, head);
        Interlocked.Exchange(ref _next, NewSource()).TrySetResult();
    }

    public void Start(long head) => Volatile.Write(ref _head, head);

    /// <summary>Wakes every waiter with an error; no further commit will come.</summary>
    public void Close(Exception reason) => Volatile.Read(ref _next).TrySetException(reason);

    public async Task WaitAsync(long afterPosition, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Read the signal before the head: a commit between the two completes the signal we hold.
            var next = Volatile.Read(ref _next).Task;
            if (Head > afterPosition)
            {
                return;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
