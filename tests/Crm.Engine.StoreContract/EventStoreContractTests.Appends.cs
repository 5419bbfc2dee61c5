using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task Append_and_read_round_trips_every_envelope_field()
    {
        var store = await NewStoreAsync();
        var first = new NewEvent
        {
            EventId = Guid.NewGuid(),
            Type = "contact.created",
            SchemaVersion = 3,
            PayloadJson = """{"firstName":"Zoë","note":"naïve — ✓"}""",
            Time = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1_234_567),
            Actor = Actor.Rule("score-leads", 7),
            CorrelationId = "corr-1",
            CausationId = "cmd-1",
        };
        var second = new NewEvent
        {
            EventId = Guid.NewGuid(),
            Type = "contact.renamed",
            PayloadJson = "{}",
            Time = new DateTimeOffset(2024, 5, 6, 9, 8, 9, TimeSpan.FromHours(2)),
            Actor = new Actor(ActorKind.Plugin, "webforms"),
        };

        var result = await store.AppendAsync(new AppendRequest
        {
            Tenant = Tenant,
            StreamId = "contact/c-1",
            ExpectedVersion = 0,
            Events = [first, second],
        }, Ct);
        var events = await store.ReadStreamAsync(Tenant, "contact/c-1", cancellationToken: Ct);

        Assert.Equal(2, result.NextVersion);
        Assert.Equal(result.LastPosition, result.FirstPosition + 1);
        Assert.Equal(2, events.Count);
        var read = events[0];
        Assert.Equal(first.EventId, read.EventId);
        Assert.Equal(Tenant, read.Tenant);
        Assert.Equal("contact/c-1", read.StreamId);
        Assert.Equal(1, read.Version);
        Assert.Equal("contact.created", read.Type);
        Assert.Equal(3, read.SchemaVersion);
        Assert.Equal(first.Time, read.Time);
        Assert.Equal(TimeSpan.Zero, read.Time.Offset);
        Assert.Equal(first.Time.UtcTicks, read.Time.UtcTicks);
        Assert.Equal(Actor.Rule("score-leads", 7), read.Actor);
        Assert.Equal("corr-1", read.CorrelationId);
        Assert.Equal("cmd-1", read.CausationId);
        Assert.Equal(first.PayloadJson, read.PayloadJson);
        Assert.Equal(result.FirstPosition, read.Position);

        var other = events[1];
        Assert.Equal(second.EventId, other.EventId);
        Assert.Equal(2, other.Version);
        Assert.Equal(1, other.SchemaVersion);
        Assert.Equal(second.Time.UtcDateTime, other.Time.UtcDateTime);
        Assert.Equal(new Actor(ActorKind.Plugin, "webforms"), other.Actor);
        Assert.Null(other.CorrelationId);
        Assert.Null(other.CausationId);
        Assert.Equal(result.LastPosition, other.Position);
    }

    [Fact]
    public async Task Appends_continue_the_stream_from_the_expected_version()
    {
        var store = await NewStoreAsync();

        var first = await store.AppendAsync(Request("deal/d-1", 0, events: 2), Ct);
        var second = await store.AppendAsync(Request("deal/d-1", 2, events: 3), Ct);
        var all = await store.ReadStreamAsync(Tenant, "deal/d-1", cancellationToken: Ct);
        var middle = await store.ReadStreamAsync(Tenant, "deal/d-1", fromVersion: 2, maxCount: 2, cancellationToken: Ct);

        Assert.Equal(2, first.NextVersion);
        Assert.Equal(5, second.NextVersion);
        Assert.True(second.FirstPosition > first.LastPosition);
        Assert.Equal([1L, 2, 3, 4, 5], all.Select(e => e.Version));
        Assert.Equal([2L, 3], middle.Select(e => e.Version));
    }

    [Fact]
    public async Task Reading_a_stream_that_does_not_exist_returns_nothing()
    {
        var store = await NewStoreAsync();

        var events = await store.ReadStreamAsync(Tenant, "contact/nobody", cancellationToken: Ct);

        Assert.Empty(events);
    }

    [Fact]
    public async Task Append_with_stale_version_is_rejected()
    {
        var store = await NewStoreAsync();
        await store.AppendAsync(Request("case/k-1", 0, events: 2), Ct);

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync(Request("case/k-1", 1), Ct));

        Assert.Equal("case/k-1", conflict.StreamId);
        Assert.Equal(1, conflict.ExpectedVersion);
        Assert.Equal(2, conflict.ActualVersion);
        Assert.Equal(2, (await store.ReadStreamAsync(Tenant, "case/k-1", cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task Append_ahead_of_the_stream_is_rejected()
    {
        var store = await NewStoreAsync();

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync(Request("task/t-1", 4), Ct));

        Assert.Equal(0, conflict.ActualVersion);
        Assert.Empty(await store.ReadStreamAsync(Tenant, "task/t-1", cancellationToken: Ct));
    }

    [Fact]
    public async Task Append_creating_a_stream_that_exists_is_rejected()
    {
        var store = await NewStoreAsync();
        await SaveAsync(store, Contact("c-1", "Ada", "Lovelace"));

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => SaveAsync(store, Contact("c-1", "Someone", "Else")));

        var row = await store.ReadModel.GetAsync(Tenant, RecordTypes.Contact, "c-1", Ct);
        Assert.Contains("Lovelace", row!.DataJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stale_append_fails_alone_while_its_batch_mates_commit()
    {
        var store = await NewStoreAsync();
        await store.AppendAsync(Request("contact/stale", 0, events: 3), Ct);

        var good = Enumerable.Range(0, 50).Select(i => store.AppendAsync(Request($"contact/c-{i}", 0), Ct)).ToList();
        var stale = store.AppendAsync(Request("contact/stale", 1), Ct);
        good.AddRange(Enumerable.Range(50, 50).Select(i => store.AppendAsync(Request($"contact/c-{i}", 0), Ct)));

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => stale);
        var results = await Task.WhenAll(good);
        Assert.All(results, r => Assert.Equal(1, r.NextVersion));
        Assert.Equal(100, results.Select(r => r.FirstPosition).Distinct().Count());
        for (var i = 0; i < 100; i++)
        {
            var events = await store.ReadStreamAsync(Tenant, $"contact/c-{i}", cancellationToken: Ct);
            Assert.Single(events);
        }

        Assert.Equal(3, (await store.ReadStreamAsync(Tenant, "contact/stale", cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task Concurrent_appends_to_one_stream_with_retry_end_with_contiguous_versions()
    {
        var store = await NewStoreAsync();
        const int writers = 500;

        async Task AppendWithRetryAsync(int writer)
        {
            long known = 0;
            while (true)
            {
                var request = Request("account/busy", known) with
                {
                    Events = [Event("account.touched", $$"""{"writer":{{writer}}}""")],
                };
                try
                {
                    await store.AppendAsync(request, Ct);
                    return;
                }
                catch (ConcurrencyConflictException)
                {
                    // Catch up by reading what others appended, as a record grain reloading its stream would.
                    var newer = await store.ReadStreamAsync(Tenant, "account/busy", known + 1, cancellationToken: Ct);
                    known = newer.Count > 0 ? newer[^1].Version : known;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => AppendWithRetryAsync(w), Ct))).WaitAsync(Patience, Ct);

        var events = await store.ReadStreamAsync(Tenant, "account/busy", cancellationToken: Ct);
        Assert.Equal(Enumerable.Range(1, writers).Select(v => (long)v), events.Select(e => e.Version));
        Assert.Equal(writers, events.Select(e => e.PayloadJson).Distinct().Count());
        Assert.True(events.Zip(events.Skip(1)).All(pair => pair.First.Position < pair.Second.Position));
    }

    [Fact]
    public async Task Append_without_events_or_with_a_negative_version_is_refused()
    {
        var store = await NewStoreAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(Request("contact/c-1", 0) with { Events = [] }, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(Request("contact/c-1", -1), Ct));

        Assert.Empty(await store.ReadStreamAsync(Tenant, "contact/c-1", cancellationToken: Ct));
    }
}
