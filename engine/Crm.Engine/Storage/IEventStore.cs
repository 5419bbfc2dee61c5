namespace Crm.Engine.Storage;

/// <summary>
/// The engine's source of truth: per-stream append with an expected version, stream reads, and the whole log in order.
/// An append commits its events, its read-model row and its uniqueness claims in one transaction; a conflicting
/// append fails alone and never takes its batch-mates with it. A returned task completes only once the append is durable.
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>Appends events to one stream if it is at <see cref="AppendRequest.ExpectedVersion"/>.</summary>
    /// <exception cref="ConcurrencyConflictException">The stream is at another version.</exception>
    /// <exception cref="DuplicateRecordException">A uniqueness claim belongs to another stream.</exception>
    Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends to many streams, each exactly as <see cref="AppendAsync"/> would and in list order (of two creates of one
    /// stream, the first wins): one refused append (a version conflict, a taken unique value) fails alone, and its
    /// outcome says why. A store may write them in fewer, larger
    /// transactions than separate calls would. Completes when every append is durable or refused; throws only when the
    /// store itself failed (then none of the appends still pending was written).
    /// </summary>
    async Task<IReadOnlyList<AppendOutcome>> AppendManyAsync(IReadOnlyList<AppendRequest> requests, CancellationToken cancellationToken = default)
    {
        var outcomes = new AppendOutcome[requests.Count];
        await Task.WhenAll(requests.Select(async (request, i) =>
        {
            try
            {
                outcomes[i] = new AppendOutcome(await AppendAsync(request, cancellationToken).ConfigureAwait(false), null);
            }
            catch (CrmException ex)
            {
                outcomes[i] = new AppendOutcome(null, ex);
            }
        })).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>Events of one stream with version &gt;= <paramref name="fromVersion"/>, in order, at most <paramref name="maxCount"/>.</summary>
    Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>Events of the whole log with position &gt; <paramref name="afterPosition"/>, in position order. Never skips a committed event.</summary>
    Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>The highest position a reader may safely read up to.</summary>
    Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when something was committed after <paramref name="afterPosition"/> (or at once if something was already).</summary>
    Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default);

    /// <summary>The queryable projection written with the events.</summary>
    IRecordReadModel ReadModel { get; }

    /// <summary>Leases, checkpoints, outbox rows and timers of the once-per-cluster services.</summary>
    ICoordinationStore Coordination { get; }

    /// <summary>Rows and checkpoints of the projections that follow the log (reports).</summary>
    IProjectionStore Projections { get; }
}

/// <summary>One append: events for one stream, at an expected version, with the read-model row they produce.</summary>
public sealed record AppendRequest
{
    public required string Tenant { get; init; }
    public required string StreamId { get; init; }

    /// <summary>The version the writer loaded; 0 for a new stream.</summary>
    public required long ExpectedVersion { get; init; }

    /// <summary>At least one event; versions are assigned by the store from <see cref="ExpectedVersion"/> + 1.</summary>
    public required IReadOnlyList<NewEvent> Events { get; init; }

    /// <summary>The record's row after these events, written in the same transaction; null for streams without one.</summary>
    public RecordRow? Row { get; init; }

    /// <summary>Durable timers of this stream to schedule; one with the name of a pending timer replaces it.</summary>
    public IReadOnlyList<TimerSchedule> ScheduleTimers { get; init; } = [];

    /// <summary>Names of this stream's pending timers to cancel; names that are not pending are ignored.</summary>
    public IReadOnlyList<string> CancelTimers { get; init; } = [];

    /// <summary>
    /// The pending timer of this stream that the append fires: it is removed in the same transaction, and if it is
    /// not pending at that due time the append fails with <see cref="TimerNotPendingException"/>, so a timer fires once.
    /// </summary>
    public TimerFiring? FiresTimer { get; init; }

    /// <summary>
    /// Makes the append effectively-once: the key is stored under a unique index with the events, and a later append
    /// with the same key fails with <see cref="EffectAlreadyAppliedException"/> and writes nothing.
    /// </summary>
    public string? EffectKey { get; init; }

    /// <summary>A lease the writer must still hold; otherwise the append fails with <see cref="LeaseLostException"/>.</summary>
    public LeaseFence? Fence { get; init; }
}

/// <summary>An event not yet committed.</summary>
public sealed record NewEvent
{
    public required Guid EventId { get; init; }
    public required string Type { get; init; }
    public int SchemaVersion { get; init; } = 1;
    public required string PayloadJson { get; init; }
    public required DateTimeOffset Time { get; init; }
    public required Actor Actor { get; init; }
    public string? CorrelationId { get; init; }
    public string? CausationId { get; init; }
}

/// <summary>Where an append landed.</summary>
public sealed record AppendResult(long NextVersion, long FirstPosition, long LastPosition);

/// <summary>One append of <see cref="IEventStore.AppendManyAsync"/>: where it landed, or why it was refused.</summary>
public readonly record struct AppendOutcome(AppendResult? Result, CrmException? Error);

/// <summary>
/// A record's read-model row. <see cref="UniqueClaims"/> replace the stream's previous claims; <see cref="Links"/>
/// replace its previous links; <see cref="SearchText"/> feeds full-text search.
/// </summary>
public sealed record RecordRow
{
    public required string Type { get; init; }
    public required string Id { get; init; }
    public required long Version { get; init; }
    public required bool Deleted { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The record's fields as a JSON object (what readers get back).</summary>
    public required string DataJson { get; init; }

    /// <summary>Words to index: names, normalised emails, phone digits, company, tags.</summary>
    public required string SearchText { get; init; }
    public IReadOnlyList<UniqueClaim> UniqueClaims { get; init; } = [];
    public IReadOnlyList<RecordLink> Links { get; init; } = [];
}

/// <summary>A value that at most one record of the tenant may hold, e.g. (<c>contact.email</c>, <c>a@b.com</c>).</summary>
public sealed record UniqueClaim(string Kind, string Value);

/// <summary>Reads over the read model; every query is scoped to one tenant.</summary>
public interface IRecordReadModel
{
    /// <summary>The row, or null.</summary>
    Task<RecordRow?> GetAsync(string tenant, string type, string id, CancellationToken cancellationToken = default);

    /// <summary>Rows of one type matching the query, paged with an opaque cursor.</summary>
    Task<Page<RecordRow>> QueryAsync(string tenant, string type, RecordQuery query, CancellationToken cancellationToken = default);

    /// <summary>How many records the query's text, filter and deleted flag select (its cursor, order and limit aside).</summary>
    Task<long> CountAsync(string tenant, string type, RecordQuery query, CancellationToken cancellationToken = default);

    /// <summary>The id of the record holding a unique key, or null.</summary>
    Task<string?> FindByUniqueKeyAsync(string tenant, UniqueClaim key, CancellationToken cancellationToken = default);

    /// <summary>The streams (<c>{type}/{id}</c>) of the records that hold a link to <paramref name="targetStream"/>, in stream order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<string>> LinkOwnersAsync(string tenant, string targetStream, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Events of the stream and of every stream whose record links to it (interactions, tasks, deals, cases),
    /// newest first, paged with an opaque cursor.
    /// </summary>
    Task<Page<CrmEvent>> TimelineAsync(string tenant, string streamId, string? cursor, int limit, CancellationToken cancellationToken = default);
}

/// <summary>Stream ids of records: <c>{type}/{id}</c>.</summary>
public static class StreamIds
{
    /// <summary>The stream of a record.</summary>
    public static string ForRecord(string type, string id) => type + "/" + id;

    /// <summary>The tenant settings stream.</summary>
    public const string Settings = "settings";

    /// <summary>The tenant's rules stream (every version of every rule).</summary>
    public const string Rules = "rules";

    /// <summary>The tenant's suppression list.</summary>
    public const string Suppressions = "suppressions";

    /// <summary>A plugin's own data in a tenant.</summary>
    public static string ForPluginData(string plugin) => "plugin-data/" + plugin;
}
