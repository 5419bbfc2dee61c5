using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Crm.Engine.Storage.Sqlite.Tests;

/// <summary>What the SQLite store promises beyond the contract: durability settings, the lock file, migrations.</summary>
public sealed class SqliteEventStoreTests : IDisposable
{
    private readonly TempDataDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private static AppendRequest CreateContact(string id, string email) => new()
    {
        Tenant = "acme",
        StreamId = StreamIds.ForRecord(RecordTypes.Contact, id),
        ExpectedVersion = 0,
        Events =
        [
            new NewEvent
            {
                EventId = Guid.NewGuid(),
                Type = "record.created",
                PayloadJson = $$"""{"email":"{{email}}"}""",
                Time = DateTimeOffset.UtcNow,
                Actor = Actor.User("u-1"),
            },
        ],
        Row = new RecordRow
        {
            Type = RecordTypes.Contact,
            Id = id,
            Version = 1,
            Deleted = false,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
            DataJson = new JsonObject { ["email"] = email }.ToJsonString(),
            SearchText = email,
            UniqueClaims = [new UniqueClaim("contact.email", email)],
        },
    };

    [Fact]
    public async Task Leases_of_a_process_that_died_end_when_the_store_is_opened_again()
    {
        var now = DateTimeOffset.UtcNow;
        LeaseFence first;
        await using (var store = SqliteEventStore.Open(_directory.Options()))
        {
            // Held for an hour and never released, as by a process that was killed.
            first = (await store.Coordination.TryAcquireLeaseAsync("timers", "crashed-run", now, TimeSpan.FromHours(1), Ct))!;
        }

        await using var reopened = SqliteEventStore.Open(_directory.Options());
        var next = await reopened.Coordination.TryAcquireLeaseAsync("timers", "next-run", now.AddSeconds(1), TimeSpan.FromSeconds(10), Ct);

        Assert.NotNull(next);
        Assert.True(next.Epoch > first.Epoch);
        await Assert.ThrowsAsync<LeaseLostException>(() => reopened.Coordination.CommitDecisionAsync(new SubscriptionDecision(first, "s", 1, [], now), Ct));
    }

    [Fact]
    public async Task Synchronous_full_is_in_force_by_default()
    {
        await using var store = SqliteEventStore.Open(_directory.Options());

        Assert.Equal("FULL", store.SynchronousMode);
    }

    [Fact]
    public async Task Synchronous_normal_can_be_chosen()
    {
        await using var store = SqliteEventStore.Open(_directory.Options(o => o.Synchronous = SqliteSynchronous.Normal));

        Assert.Equal("NORMAL", store.SynchronousMode);
    }

    [Fact]
    public async Task Journal_mode_is_wal()
    {
        await using var store = SqliteEventStore.Open(_directory.Options());

        Assert.Equal("WAL", store.JournalMode);
    }

    [Fact]
    public async Task Data_survives_dispose_and_reopen()
    {
        AppendResult written;
        await using (var store = SqliteEventStore.Open(_directory.Options()))
        {
            written = await store.AppendAsync(CreateContact("ada", "ada@example.com"), Ct);
        }

        await using var reopened = SqliteEventStore.Open(_directory.Options());
        var events = await reopened.ReadStreamAsync("acme", "contact/ada", cancellationToken: Ct);
        var row = await reopened.ReadModel.GetAsync("acme", RecordTypes.Contact, "ada", Ct);
        var found = await reopened.ReadModel.QueryAsync("acme", RecordTypes.Contact, new RecordQuery { Text = "ada@example.com" }, Ct);
        var duplicate = await Assert.ThrowsAsync<DuplicateRecordException>(() => reopened.AppendAsync(CreateContact("eve", "ada@example.com"), Ct));
        var next = await reopened.AppendAsync(CreateContact("bob", "bob@example.com"), Ct);

        Assert.Equal(written.LastPosition, Assert.Single(events).Position);
        Assert.Equal(written.LastPosition, events[0].Position);
        Assert.Equal(1, row!.Version);
        Assert.Equal("ada", Assert.Single(found.Items).Id);
        Assert.Equal("ada", duplicate.ExistingId);
        Assert.Equal(written.LastPosition + 1, next.FirstPosition);
        Assert.Equal(next.LastPosition, await reopened.GetHeadPositionAsync(Ct));
    }

    [Fact]
    public async Task A_second_open_of_the_directory_is_refused_until_the_first_is_disposed()
    {
        var first = SqliteEventStore.Open(_directory.Options());

        var locked = Assert.Throws<DataDirectoryLockedException>(() => SqliteEventStore.Open(_directory.Options()));
        await first.DisposeAsync();
        await using var second = SqliteEventStore.Open(_directory.Options());

        Assert.Equal(_directory.Path, locked.Path);
        Assert.True(File.Exists(Path.Combine(_directory.Path, "crm.lock")));
        Assert.Equal(0, await second.GetHeadPositionAsync(Ct));
    }

    [Fact]
    public async Task A_directory_locked_by_another_process_is_refused()
    {
        if (!File.Exists("/usr/bin/flock"))
        {
            Assert.Skip("Needs util-linux flock to hold the lock from another process.");
        }

        var lockFile = Path.Combine(_directory.Path, "crm.lock");

        // flock holds the lock while its shell waits for a line on stdin; closing stdin ends both, in order.
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-x", lockFile, "-c", "echo held; read line"])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        })!;
        try
        {
            Assert.Equal("held", await holder.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct));

            Assert.Throws<DataDirectoryLockedException>(() => SqliteEventStore.Open(_directory.Options()));
        }
        finally
        {
            holder.StandardInput.Close();
            await holder.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }

        await using var store = SqliteEventStore.Open(_directory.Options());
        Assert.Equal("FULL", store.SynchronousMode);
    }

    [Fact]
    public async Task Reopening_keeps_the_schema_version_without_reapplying_migrations()
    {
        await using (var store = SqliteEventStore.Open(_directory.Options()))
        {
            Assert.Equal(SchemaMigrations.Latest, store.SchemaVersion);
            await store.AppendAsync(CreateContact("ada", "ada@example.com"), Ct);
        }

        await using (var reopened = SqliteEventStore.Open(_directory.Options()))
        {
            Assert.Equal(SchemaMigrations.Latest, reopened.SchemaVersion);
            Assert.NotNull(await reopened.ReadModel.GetAsync("acme", RecordTypes.Contact, "ada", Ct));
        }

        Assert.Equal(SchemaMigrations.Latest, Scalar("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public async Task A_file_from_a_newer_schema_is_refused_and_the_directory_released()
    {
        await using (SqliteEventStore.Open(_directory.Options()))
        {
        }

        Scalar("INSERT INTO schema_version (version, applied_at) VALUES (9999, 0)");

        var refused = Assert.Throws<InvalidOperationException>(() => SqliteEventStore.Open(_directory.Options()));
        Scalar("DELETE FROM schema_version WHERE version = 9999");
        await using var store = SqliteEventStore.Open(_directory.Options());

        Assert.Contains("9999", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_appends_share_commits()
    {
        await using var store = SqliteEventStore.Open(_directory.Options());

        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => store.AppendAsync(CreateContact($"c{i}", $"c{i}@example.com"), Ct)));

        Assert.Equal(300, results.Select(r => r.FirstPosition).Distinct().Count());
        Assert.True(store.BatchesCommitted < 300, $"{store.BatchesCommitted} commits for 300 appends.");
    }

    [Fact]
    public async Task Append_many_is_written_in_one_transaction_with_its_refusals_left_out()
    {
        await using var store = SqliteEventStore.Open(_directory.Options());
        await store.AppendAsync(CreateContact("c7", "first@example.com"), Ct);
        var before = store.BatchesCommitted;

        var outcomes = await store.AppendManyAsync([.. Enumerable.Range(0, 1000).Select(i => CreateContact($"c{i}", $"c{i}@example.com"))], Ct);

        // However the queue was drawn, a call's appends are never split over transactions.
        Assert.Equal(1, store.BatchesCommitted - before);
        Assert.IsType<ConcurrencyConflictException>(outcomes[7].Error);
        Assert.Equal(999, outcomes.Count(o => o.Error is null));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM unique_keys WHERE stream_id = 'contact/c7' AND value = 'first@example.com'"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM unique_keys WHERE value = 'c7@example.com'"));
        Assert.Equal(1000, Scalar("SELECT COUNT(*) FROM records"));
    }

    [Fact]
    public async Task Text_beyond_ascii_is_stored_and_read_back_unchanged()
    {
        await using var store = SqliteEventStore.Open(_directory.Options());
        // Accents, a character outside the basic plane (two UTF-16 units), CJK and a long string that outgrows any small buffer.
        const string name = "Zoë Ångström-Łukasiewicz 😀 東京 ";
        var text = name + new string('ß', 3000);
        var email = "zoë.東京@example.com";
        var request = CreateContact("zoe", email) with
        {
            Events = [CreateContact("zoe", email).Events[0] with { PayloadJson = new JsonObject { ["name"] = text }.ToJsonString() }],
        };
        request = request with { Row = request.Row! with { DataJson = new JsonObject { ["name"] = text }.ToJsonString(), SearchText = name } };

        await store.AppendAsync(request, Ct);

        var stored = Assert.Single(await store.ReadStreamAsync("acme", "contact/zoe", cancellationToken: Ct));
        Assert.Equal(text, (string?)JsonNode.Parse(stored.PayloadJson)!["name"]);
        var row = await store.ReadModel.GetAsync("acme", RecordTypes.Contact, "zoe", Ct);
        Assert.Equal(text, (string?)JsonNode.Parse(row!.DataJson)!["name"]);
        Assert.Equal("zoe", await store.ReadModel.FindByUniqueKeyAsync("acme", new UniqueClaim("contact.email", email), Ct));
        var found = await store.ReadModel.QueryAsync("acme", RecordTypes.Contact, new RecordQuery { Text = "angstrom" }, Ct);
        Assert.Equal("zoe", Assert.Single(found.Items).Id);
    }

    [Fact]
    public async Task Bulk_calls_queued_together_share_transactions_up_to_the_bulk_cap()
    {
        await using var store = SqliteEventStore.Open(_directory.Options(o => o.MaxBulkBatchSize = 2500));
        var before = store.BatchesCommitted;
        using var writing = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // Holds the writer inside a transaction of its own while the bulk calls queue up behind it.
        var blocker = store.Writer.Enqueue(_ => { }, _ =>
        {
            writing.Set();
            release.Wait(TimeSpan.FromMinutes(1));
            return 0;
        }, Ct);
        Assert.True(writing.Wait(TimeSpan.FromMinutes(1)), "The writer never started the blocking write.");

        var calls = Enumerable.Range(0, 4)
            .Select(c => store.AppendManyAsync([.. Enumerable.Range(0, 1000).Select(i => CreateContact($"c{c}-{i}", $"c{c}-{i}@example.com"))], Ct))
            .ToList();
        release.Set();
        await blocker;
        var outcomes = await Task.WhenAll(calls);

        // The blocker's transaction, then calls 1-3 together (3,000 appends: the cap is reached after the third,
        // and a call is never split), then call 4 alone — not one transaction per call.
        Assert.Equal(3, store.BatchesCommitted - before);
        Assert.All(outcomes.SelectMany(o => o), o => Assert.Null(o.Error));
        Assert.Equal(4000, Scalar("SELECT COUNT(*) FROM records"));
    }

    [Fact]
    public async Task Appends_queued_when_the_store_closes_are_committed()
    {
        var store = SqliteEventStore.Open(_directory.Options());
        var pending = Enumerable.Range(0, 200).Select(i => store.AppendAsync(CreateContact($"c{i}", $"c{i}@example.com"), Ct)).ToList();

        await store.DisposeAsync();

        var results = await Task.WhenAll(pending);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.AppendAsync(CreateContact("late", "late@example.com"), Ct));
        await using var reopened = SqliteEventStore.Open(_directory.Options());
        Assert.Equal(results.Max(r => r.LastPosition), await reopened.GetHeadPositionAsync(Ct));
        Assert.Equal(200, (await reopened.ReadAllAsync(0, 1000, Ct)).Count);
    }

    [Fact]
    public async Task An_append_failing_half_written_fails_alone_while_its_batch_mates_commit()
    {
        var log = new ListLogger();
        await using var store = SqliteEventStore.Open(_directory.Options(), log);
        var stored = CreateContact("ada", "ada@example.com");
        await store.AppendAsync(stored, Ct);

        // Passes every check but breaks a constraint when written: an event id that is already stored.
        var reused = CreateContact("bob", "bob@example.com") with { Events = stored.Events };
        var good = Enumerable.Range(0, 50).Select(i => store.AppendAsync(CreateContact($"c{i}", $"c{i}@example.com"), Ct)).ToList();
        var failing = store.AppendAsync(reused, Ct);
        good.AddRange(Enumerable.Range(50, 50).Select(i => store.AppendAsync(CreateContact($"c{i}", $"c{i}@example.com"), Ct)));

        await Assert.ThrowsAsync<SqliteException>(() => failing);
        Assert.Equal(100, (await Task.WhenAll(good)).Length);
        Assert.Empty(await store.ReadStreamAsync("acme", "contact/bob", cancellationToken: Ct));
        Assert.Null(await store.ReadModel.GetAsync("acme", RecordTypes.Contact, "bob", Ct));
        Assert.Null(await store.ReadModel.FindByUniqueKeyAsync("acme", new UniqueClaim("contact.email", "bob@example.com"), Ct));
        var page = await store.ReadModel.QueryAsync("acme", RecordTypes.Contact, new RecordQuery { Limit = 1000 }, Ct);
        Assert.Equal(101, page.Items.Count);
        Assert.Equal(101, (await store.ReadAllAsync(0, 1000, Ct)).Count);
        Assert.Contains(log.Messages, m => m.Contains("written again with a savepoint per append", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_row_that_is_not_the_streams_own_is_refused()
    {
        await using var store = SqliteEventStore.Open(_directory.Options());

        var request = CreateContact("ada", "ada@example.com") with { StreamId = "contact/someone-else" };

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(request, Ct));
    }

    private long Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_directory.DatabaseFile};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }
}
