namespace Crm.Engine.Storage;

/// <summary>
/// The log as this node's followers read it (subscriptions, projections, the cluster's tail follower): a bounded
/// window of the most recently read events, shared by all of them. Followers run close behind the head and read the
/// same pages within moments of each other; without the window each of them had the store read and materialise every
/// event again. Reads at the head of the window go to the store once (concurrent callers share the read) and extend
/// it; reads inside it are answered from memory; reads behind it (a follower catching up from far back, a rebuild)
/// go to the store and leave the window alone. The window is only ever the concatenation of store reads each
/// starting after the previous one's last event, which is how any single follower reads, so a follower sees exactly
/// what the store would have given it. Everything else is the store's.
/// </summary>
internal sealed class RecentLog(IEventStore store, int capacity = RecentLog.DefaultCapacity) : IEventStore
{
    /// <summary>Events kept by default: a few seconds of a heavy import, a few megabytes.</summary>
    public const int DefaultCapacity = 16_384;

    /// <summary>Events read from the store at the head at once, whatever the caller asked for (the others want them too).</summary>
    public const int HeadReadSize = 1_000;

    private readonly object _gate = new();

    // Pages of events as the store returned them, oldest first; page i starts right after page i-1's last event, and
    // the first starts right after _start. The window holds every event with _start < position <= _end.
    private readonly LinkedList<IReadOnlyList<CrmEvent>> _pages = new();
    private long _start = -1;
    private long _end = -1;
    private int _count;
    private (long After, Task<IReadOnlyList<CrmEvent>> Read)? _headRead;

    /// <summary>Reads the store did for this window (tests and diagnostics).</summary>
    internal long StoreReads;

    /// <summary>Events the window holds now.</summary>
    internal int Count
    {
        get
        {
            lock (_gate) return _count;
        }
    }

    public IRecordReadModel ReadModel => store.ReadModel;

    public ICoordinationStore Coordination => store.Coordination;

    public IProjectionStore Projections => store.Projections;

    public async Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        if (maxCount == 0) return [];
        while (true)
        {
            Task<IReadOnlyList<CrmEvent>>? shared = null;
            TaskCompletionSource<IReadOnlyList<CrmEvent>>? mine = null;
            lock (_gate)
            {
                if (_count > 0 && afterPosition >= _start && afterPosition < _end)
                {
                    return Slice(afterPosition, maxCount);
                }

                // At the head (or with no window yet): one store read, shared. Behind the window: left at null.
                if (_count == 0 || afterPosition >= _start)
                {
                    if (_headRead is { } pending && pending.After == afterPosition)
                    {
                        shared = pending.Read;
                    }
                    else
                    {
                        mine = new TaskCompletionSource<IReadOnlyList<CrmEvent>>(TaskCreationOptions.RunContinuationsAsynchronously);
                        shared = mine.Task;
                        _headRead = (afterPosition, shared);
                    }
                }
            }

            if (shared is null)
            {
                // Behind the window: the store, without disturbing the window.
                Interlocked.Increment(ref StoreReads);
                return await store.ReadAllAsync(afterPosition, maxCount, cancellationToken).ConfigureAwait(false);
            }

            if (mine is not null)
            {
                await ReadHeadAsync(afterPosition, mine).ConfigureAwait(false);
            }

            var page = await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (page.Count == 0) return page;
            if (mine is not null) return page.Count <= maxCount ? page : [.. page.Take(maxCount)];

            // Another caller's read of the same head: it is in the window now (unless replaced); look again.
        }
    }

    /// <summary>One store read at the head for everyone waiting on <paramref name="read"/>; its page joins the window.</summary>
    private async Task ReadHeadAsync(long afterPosition, TaskCompletionSource<IReadOnlyList<CrmEvent>> read)
    {
        try
        {
            Interlocked.Increment(ref StoreReads);
            // Not the caller's token: callers waiting on the same read must not see another one's cancellation.
            var page = await store.ReadAllAsync(afterPosition, HeadReadSize, CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                if (page.Count > 0) Append(afterPosition, page);
                if (_headRead?.Read == read.Task) _headRead = null;
            }

            read.SetResult(page);
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                if (_headRead?.Read == read.Task) _headRead = null;
            }

            read.SetException(ex);
        }
    }

    private void Append(long afterPosition, IReadOnlyList<CrmEvent> page)
    {
        if (_count == 0 || afterPosition != _end)
        {
            // Not a continuation (the first read, or a head that moved elsewhere): the window starts again here.
            _pages.Clear();
            _count = 0;
            _start = afterPosition;
        }

        _pages.AddLast(page);
        _count += page.Count;
        _end = page[^1].Position;
        while (_count - _pages.First!.Value.Count >= capacity && _pages.Count > 1)
        {
            var dropped = _pages.First.Value;
            _pages.RemoveFirst();
            _count -= dropped.Count;
            _start = dropped[^1].Position;
        }
    }

    /// <summary>Up to <paramref name="maxCount"/> events of the window after <paramref name="afterPosition"/> (inside it).</summary>
    private List<CrmEvent> Slice(long afterPosition, int maxCount)
    {
        var result = new List<CrmEvent>(Math.Min(maxCount, _count));
        for (var node = _pages.First; node is not null && result.Count < maxCount; node = node.Next)
        {
            var page = node.Value;
            if (page[^1].Position <= afterPosition) continue;
            var from = FirstAfter(page, afterPosition);
            for (var i = from; i < page.Count && result.Count < maxCount; i++) result.Add(page[i]);
        }

        return result;
    }

    private static int FirstAfter(IReadOnlyList<CrmEvent> page, long afterPosition)
    {
        int lo = 0, hi = page.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (page[mid].Position <= afterPosition) lo = mid + 1;
            else hi = mid;
        }

        return lo;
    }

    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default) => store.AppendAsync(request, cancellationToken);

    public Task<IReadOnlyList<AppendOutcome>> AppendManyAsync(IReadOnlyList<AppendRequest> requests, CancellationToken cancellationToken = default) =>
        store.AppendManyAsync(requests, cancellationToken);

    public Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default) =>
        store.ReadStreamAsync(tenant, streamId, fromVersion, maxCount, cancellationToken);

    public Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default) => store.GetHeadPositionAsync(cancellationToken);

    public Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default) => store.WaitForCommitAsync(afterPosition, cancellationToken);

    /// <summary>The store is not this window's to close.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
