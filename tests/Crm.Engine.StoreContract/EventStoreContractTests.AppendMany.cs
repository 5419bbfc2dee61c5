using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task Append_many_writes_each_append_and_refuses_the_bad_ones_alone()
    {
        var store = await NewStoreAsync();
        await store.AppendAsync(Request("contact/taken", 0, events: 2), Ct);
        await SaveAsync(store, Contact("ada", "Ada", "Lovelace", email: "ada@example.com"));

        AppendRequest Create(string id, string email) => new()
        {
            Tenant = Tenant,
            StreamId = $"contact/{id}",
            ExpectedVersion = 0,
            Events = [Event("record.created")],
            Row = Contact(id, "Row", id, email: email),
        };

        var requests = new List<AppendRequest>();
        for (var i = 0; i < 300; i++)
        {
            requests.Add(Create($"m-{i:D3}", $"m{i}@example.com"));
        }

        requests[10] = Request("contact/taken", 0);                       // the stream exists
        requests[20] = Create("m-020", "ada@example.com");                // another record holds the email
        requests[30] = Create("m-031", "m31-twin@example.com");           // the same stream as a later one in the call
        requests[40] = Create("m-041", "m41-twin@example.com");

        var outcomes = await store.AppendManyAsync(requests, Ct);

        Assert.Equal(requests.Count, outcomes.Count);
        Assert.IsType<ConcurrencyConflictException>(outcomes[10].Error);
        var duplicate = Assert.IsType<DuplicateRecordException>(outcomes[20].Error);
        Assert.Equal("ada", duplicate.ExistingId);

        // Two creates of one stream in one call: the first in the list wins, the second conflicts.
        Assert.Null(outcomes[30].Error);
        Assert.IsType<ConcurrencyConflictException>(outcomes[31].Error);
        Assert.Null(outcomes[40].Error);
        Assert.IsType<ConcurrencyConflictException>(outcomes[41].Error);

        var written = outcomes.Where(o => o.Error is null).ToList();
        Assert.Equal(300 - 4, written.Count);
        Assert.All(written, o => Assert.Equal(1, o.Result!.NextVersion));
        Assert.Equal(written.Count, written.Select(o => o.Result!.FirstPosition).Distinct().Count());

        Assert.Equal(2, (await store.ReadStreamAsync(Tenant, "contact/taken", cancellationToken: Ct)).Count);
        Assert.Null(await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "m-020", Ct));
        Assert.Equal("ada", await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "ada@example.com"), Ct));
        Assert.Equal("m-031", await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "m31-twin@example.com"), Ct));
        Assert.Null(await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", "m31@example.com"), Ct));
        var row = await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "m-299", Ct);
        Assert.Equal("m299@example.com", row!.UniqueClaims.Single().Value);

        // The log holds every written append once, in the positions the outcomes gave.
        var log = await store.ReadAllAsync(0, 10_000, Ct);
        var positions = log.Select(e => e.Position).ToHashSet();
        Assert.All(written, o => Assert.Contains(o.Result!.FirstPosition, positions));
        Assert.Equal(2 + 1 + written.Count, log.Count);
    }

    [Fact]
    public async Task Append_many_of_nothing_returns_nothing()
    {
        var store = await NewStoreAsync();
        Assert.Empty(await store.AppendManyAsync([], Ct));
    }
}
