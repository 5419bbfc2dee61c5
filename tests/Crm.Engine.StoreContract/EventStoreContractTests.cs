using System.Text.Json.Nodes;
using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

/// <summary>
/// The behaviour every <see cref="IEventStore"/> must have. An implementation's test project derives from this class
/// and says how to create a fresh, empty store; every test gets its own.
/// </summary>
public abstract partial class EventStoreContractTests : IAsyncLifetime
{
    /// <summary>The tenant most tests write to.</summary>
    protected const string Tenant = "acme";

    /// <summary>How long a test waits for something asynchronous before it fails.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly List<IEventStore> _stores = [];

    /// <summary>A new, empty store with its own data; the suite disposes it after the test.</summary>
    protected abstract Task<IEventStore> CreateStoreAsync();

    /// <summary>Cancelled when the test run is aborted.</summary>
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Disposes every store the test created; derived classes delete their data after calling this.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    private async Task<IEventStore> NewStoreAsync()
    {
        var store = await CreateStoreAsync();
        _stores.Add(store);
        return store;
    }

    protected static NewEvent Event(string type = "record.updated", string payloadJson = "{}") => new()
    {
        EventId = Guid.NewGuid(),
        Type = type,
        PayloadJson = payloadJson,
        Time = DateTimeOffset.UtcNow,
        Actor = Actor.User("u-1"),
    };

    protected static AppendRequest Request(string streamId, long expectedVersion, int events = 1, string tenant = Tenant) => new()
    {
        Tenant = tenant,
        StreamId = streamId,
        ExpectedVersion = expectedVersion,
        Events = Enumerable.Range(0, events).Select(_ => Event()).ToArray(),
    };

    /// <summary>A read-model row of <paramref name="type"/> with the given fields.</summary>
    protected static RecordRow Row(
        string type,
        string id,
        JsonObject? data = null,
        string searchText = "",
        IReadOnlyList<UniqueClaim>? keys = null,
        IReadOnlyList<RecordLink>? links = null,
        bool deleted = false,
        long version = 1) => new()
    {
        Type = type,
        Id = id,
        Version = version,
        Deleted = deleted,
        CreatedAt = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(version),
        DataJson = (data ?? []).ToJsonString(),
        SearchText = searchText,
        UniqueClaims = keys ?? [],
        Links = links ?? [],
    };

    /// <summary>A contact row as the engine would write it: name, email claim, phone digits, company and tags.</summary>
    protected static RecordRow Contact(
        string id,
        string firstName,
        string lastName,
        string? email = null,
        string? phoneE164 = null,
        string? company = null,
        string[]? tags = null,
        bool deleted = false,
        long version = 1)
    {
        var data = new JsonObject { ["firstName"] = firstName, ["lastName"] = lastName };
        var words = new List<string> { firstName, lastName };
        var keys = new List<UniqueClaim>();
        if (email is not null)
        {
            data["email"] = email;
            words.Add(email);
            keys.Add(new UniqueClaim("contact.email", email));
        }

        if (phoneE164 is not null)
        {
            data["phone"] = phoneE164;
            var digits = phoneE164.TrimStart('+');
            words.Add(digits);

            // The national number, without the country code, so local-format searches match too.
            if (digits.StartsWith('1'))
            {
                words.Add(digits[1..]);
            }
        }

        if (company is not null)
        {
            data["company"] = company;
            words.Add(company);
        }

        if (tags is not null)
        {
            data["tags"] = new JsonArray(tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
            words.AddRange(tags);
        }

        return Row(RecordTypes.Contact, id, data, string.Join(' ', words), keys, deleted: deleted, version: version);
    }

    /// <summary>Appends one event carrying <paramref name="row"/> to the row's stream.</summary>
    protected static Task<AppendResult> SaveAsync(IEventStore store, RecordRow row, long expectedVersion = 0, string tenant = Tenant) =>
        store.AppendAsync(new AppendRequest
        {
            Tenant = tenant,
            StreamId = StreamIds.ForRecord(row.Type, row.Id),
            ExpectedVersion = expectedVersion,
            Events = [Event(expectedVersion == 0 ? "record.created" : "record.updated")],
            Row = row,
        }, Ct);

    /// <summary>Runs a query and returns the ids of the page, in order.</summary>
    protected static async Task<List<string>> IdsAsync(IEventStore store, RecordQuery query, string type = RecordTypes.Contact, string tenant = Tenant)
    {
        var page = await store.ReadModel.QueryAsync(tenant, type, query, Ct);
        return page.Items.Select(r => r.Id).ToList();
    }

    /// <summary>Follows the cursor to the end and returns every id visited, in order.</summary>
    protected static async Task<List<string>> AllPagesAsync(IEventStore store, RecordQuery query, string type = RecordTypes.Contact)
    {
        var ids = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await store.ReadModel.QueryAsync(Tenant, type, query with { Cursor = cursor }, Ct);
            ids.AddRange(page.Items.Select(r => r.Id));
            cursor = page.Next;
            Assert.True(++pages < 10_000, "Paging did not end.");
        }
        while (cursor is not null);

        return ids;
    }
}
