namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// An append waiting for the writer. Its outcome is decided inside the batch's transaction and handed to the caller
/// only once that transaction has committed (or failed as a whole).
/// </summary>
internal sealed class PendingAppend(AppendRequest request, CancellationToken cancellationToken)
    : TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public AppendRequest Request { get; } = request;

    /// <summary>The outcome inside the open transaction: a result, or the error it fails with.</summary>
    public AppendResult? Result { get; set; }

    public Exception? Error { get; set; }

    /// <summary>
    /// True when the check left the append for the next batch: its outcome depends on whether the batch still
    /// committing commits (see <see cref="AppendCheck"/>).
    /// </summary>
    public bool Deferred { get; set; }

    /// <summary>True when the append is still to be written: its caller has not given up, nothing refused or deferred it.</summary>
    public bool Writable => Error is null && !Deferred;

    /// <summary>Clears the outcome before the append is (re)considered; its caller may have given up meanwhile.</summary>
    public void Reset()
    {
        Result = null;
        Deferred = false;
        Error = cancellationToken.IsCancellationRequested ? new OperationCanceledException(cancellationToken) : null;
    }

    /// <summary>Hands the outcome to the caller; called after the transaction committed.</summary>
    public void Publish()
    {
        if (Error is OperationCanceledException)
        {
            TrySetCanceled(cancellationToken);
        }
        else if (Error is not null)
        {
            TrySetException(Error);
        }
        else
        {
            TrySetResult(Result!);
        }
    }
}
