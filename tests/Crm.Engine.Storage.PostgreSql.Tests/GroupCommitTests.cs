using Npgsql;
using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// A node's concurrent appends share a transaction, checked before they are written. Another node can still write
/// a stream or claim a key between that check and the write, and an append can fail while writing; either way only
/// that append fails and its batch-mates commit.
/// </summary>
public sealed class GroupCommitTests(PostgreSqlServerFixture server) : StoreTests(server)
{
    [Fact]
    public async Task An_append_whose_stream_another_node_writes_after_the_check_fails_alone()
    {
        await using var otherNode = await OtherNodeAppend.WriteAsync(Store, Appends.New("contact/x"));

        var conflict = await LoseRaceAloneAsync<ConcurrencyConflictException>(otherNode, Appends.New("contact/x"), Appends.New("contact/y"), Appends.New("contact/z"));
        Assert.Equal(1, conflict.ActualVersion);
        var stream = await Store.ReadStreamAsync(Appends.Tenant, "contact/x", cancellationToken: Ct);
        Assert.Equal(otherNode.Result.FirstPosition, Assert.Single(stream).Position);
    }

    [Fact]
    public async Task An_append_whose_key_another_node_claims_after_the_check_fails_alone()
    {
        await using var otherNode = await OtherNodeAppend.WriteAsync(Store, Appends.New("contact/first", row: Appends.Contact("first", "ada@example.com")));

        var duplicate = await LoseRaceAloneAsync<DuplicateRecordException>(
            otherNode,
            Appends.New("contact/second", row: Appends.Contact("second", "ada@example.com")),
            Appends.New("contact/y", row: Appends.Contact("y", "y@example.com")),
            Appends.New("contact/z", row: Appends.Contact("z", "z@example.com")));
        Assert.Equal("first", duplicate.ExistingId);
        Assert.Null(await Store.ReadModel.GetAsync(Appends.Tenant, RecordTypes.Contact, "second", Ct));
        Assert.Empty(await Store.ReadStreamAsync(Appends.Tenant, "contact/second", cancellationToken: Ct));
        Assert.Equal("y", await Store.ReadModel.FindByUniqueKeyAsync(Appends.Tenant, new UniqueClaim("contact.email", "y@example.com"), Ct));
    }

    [Fact]
    public async Task An_append_that_fails_while_writing_fails_alone()
    {
        var existing = await Store.AppendAsync(Appends.New("contact/existing"), Ct);
        var reusedId = (await Store.ReadStreamAsync(Appends.Tenant, "contact/existing", cancellationToken: Ct))[0].EventId;
        using var rewrites = new RewriteCounter();

        // An event id already stored passes the check and breaks the write.
        var (reused, y, z) = await AppendTogetherAsync(Appends.New("contact/reused", eventId: reusedId), Appends.New("contact/y"), Appends.New("contact/z"));

        var failure = await Assert.ThrowsAsync<PostgresException>(() => reused.WaitAsync(Patience, Ct));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, failure.SqlState);
        await y.WaitAsync(Patience, Ct);
        await z.WaitAsync(Patience, Ct);
        Assert.Equal(1, rewrites.Count);
        Assert.Empty(await Store.ReadStreamAsync(Appends.Tenant, "contact/reused", cancellationToken: Ct));
        var log = await Store.ReadAllAsync(existing.LastPosition, 10, Ct);
        Assert.Equal(["contact/y", "contact/z"], log.Select(e => e.StreamId).Where(s => s.StartsWith("contact/", StringComparison.Ordinal)).Order());
    }

    [Fact]
    public async Task Two_nodes_writing_the_same_streams_lose_nothing_and_duplicate_nothing()
    {
        var first = Store;
        await using var second = await PostgreSqlEventStore.OpenAsync(Options, cancellationToken: Ct);
        const int streams = 8;
        const int writersPerNode = 40;

        async Task AppendWithRetryAsync(PostgreSqlEventStore node, int writer)
        {
            var stream = $"account/a-{writer % streams}";
            long known = 0;
            while (true)
            {
                var request = Appends.New(stream, known) with
                {
                    Events = [Appends.New(stream).Events[0] with { PayloadJson = $$"""{"writer":"{{writer}}"}""" }],
                };
                try
                {
                    await node.AppendAsync(request, Ct);
                    return;
                }
                catch (ConcurrencyConflictException conflict)
                {
                    known = conflict.ActualVersion;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, writersPerNode)
            .SelectMany(w => new[] { AppendWithRetryAsync(first, 2 * w), AppendWithRetryAsync(second, 2 * w + 1) }))
            .WaitAsync(Patience, Ct);

        for (var s = 0; s < streams; s++)
        {
            var events = await first.ReadStreamAsync(Appends.Tenant, $"account/a-{s}", cancellationToken: Ct);
            Assert.Equal(Enumerable.Range(1, 2 * writersPerNode / streams).Select(v => (long)v), events.Select(e => e.Version));
            Assert.Equal(events.Count, events.Select(e => e.PayloadJson).Distinct().Count());
        }
    }
}
