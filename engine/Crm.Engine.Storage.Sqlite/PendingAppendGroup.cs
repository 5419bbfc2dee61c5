namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// The appends of one <see cref="IEventStore.AppendManyAsync"/> call. The writer takes them into its batch together,
/// each as its own <see cref="PendingWrite"/> (checked, written and refused alone), and the caller is completed once,
/// when the last of them has been committed or refused: one queue entry and one task for the lot.
/// </summary>
internal sealed class PendingAppendGroup
{
    private readonly TaskCompletionSource<IReadOnlyList<AppendOutcome>> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AppendOutcome[] _outcomes;
    private readonly CancellationToken _cancellationToken;
    private int _left;

    public PendingAppendGroup(IReadOnlyList<AppendRequest> requests, CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _outcomes = new AppendOutcome[requests.Count];
        _left = requests.Count;
        var members = new PendingWrite[requests.Count];
        for (var i = 0; i < members.Length; i++)
        {
            members[i] = new Member(this, i, requests[i], cancellationToken);
        }

        Members = members;
        if (_left == 0)
        {
            _completion.TrySetResult(_outcomes);
        }
    }

    /// <summary>One pending write per append, in the caller's order.</summary>
    public IReadOnlyList<PendingWrite> Members { get; }

    public Task<IReadOnlyList<AppendOutcome>> Task => _completion.Task;

    private void Done(int index, AppendResult? result, Exception? error, bool storeFailed = false)
    {
        switch (error)
        {
            case not null when storeFailed:
                _completion.TrySetException(error);
                break;
            case null:
                _outcomes[index] = new AppendOutcome(result, null);
                break;
            case CrmException refused:
                _outcomes[index] = new AppendOutcome(null, refused);
                break;
            case OperationCanceledException:
                _completion.TrySetCanceled(_cancellationToken);
                break;
            default:
                _completion.TrySetException(error);
                break;
        }

        if (Interlocked.Decrement(ref _left) == 0)
        {
            _completion.TrySetResult(_outcomes);
        }
    }

    private sealed class Member(PendingAppendGroup group, int index, AppendRequest request, CancellationToken cancellationToken)
        : PendingWrite(cancellationToken)
    {
        private AppendResult? _result;

        public override void Check(WriterSession session) => session.Appender.Check(request);

        public override void Write(WriterSession session) => _result = session.Appender.Write(request);

        public override void ClearOutcome()
        {
            _result = null;
            Error = null;
        }

        public override void Publish() => group.Done(index, _result, Error);

        public override void Fail(Exception error) => group.Done(index, null, error, storeFailed: true);
    }
}
