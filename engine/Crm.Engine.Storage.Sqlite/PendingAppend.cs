namespace Crm.Engine.Storage.Sqlite;

/// <summary>An append waiting for the writer; completed only after the transaction holding it has committed.</summary>
internal sealed class PendingAppend(AppendRequest request, CancellationToken cancellationToken)
    : TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public AppendRequest Request { get; } = request;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The outcome inside the open transaction, published once it commits.</summary>
    public AppendResult? Result { get; set; }

    public Exception? Error { get; set; }

    public void Publish()
    {
        switch (Error)
        {
            case null:
                TrySetResult(Result!);
                break;
            case OperationCanceledException:
                TrySetCanceled(CancellationToken);
                break;
            default:
                TrySetException(Error);
                break;
        }
    }
}
