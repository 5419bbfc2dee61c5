namespace Crm.Engine.Storage.Sqlite;

/// <summary>What the writer hands a queued write: the append logic, the coordination and projection statements, all on its connection.</summary>
internal sealed record WriterSession(StreamAppender Appender, CoordinationStatements Coordination, ProjectionStatements Projections);

/// <summary>
/// A write waiting for the writer (an append, or a lease, checkpoint or outbox change); completed only after the
/// transaction holding it has committed.
/// </summary>
internal abstract class PendingWrite(CancellationToken cancellationToken)
{
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Why it failed inside the open transaction, published once the transaction ends.</summary>
    public Exception? Error { get; set; }

    /// <summary>Refuses the write, with a <see cref="CrmException"/>, without writing anything.</summary>
    public abstract void Check(WriterSession session);

    /// <summary>Writes a write that passed <see cref="Check"/>.</summary>
    public abstract void Write(WriterSession session);

    /// <summary>Forgets the outcome before the write is (re)tried.</summary>
    public abstract void ClearOutcome();

    /// <summary>Completes the caller with the outcome, after the commit.</summary>
    public abstract void Publish();

    public abstract void Fail(Exception error);
}

/// <summary>A queued write with a result of type <typeparamref name="T"/>.</summary>
internal sealed class PendingWrite<T>(Action<WriterSession> check, Func<WriterSession, T> write, CancellationToken cancellationToken)
    : PendingWrite(cancellationToken)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _completion.Task;

    public override void Check(WriterSession session) => check(session);

    public override void Write(WriterSession session) => _result = write(session);

    public override void ClearOutcome()
    {
        _result = default;
        Error = null;
    }

    public override void Publish()
    {
        switch (Error)
        {
            case null:
                _completion.TrySetResult(_result!);
                break;
            case OperationCanceledException:
                _completion.TrySetCanceled(CancellationToken);
                break;
            default:
                _completion.TrySetException(Error);
                break;
        }
    }

    public override void Fail(Exception error) => _completion.TrySetException(error);
}
