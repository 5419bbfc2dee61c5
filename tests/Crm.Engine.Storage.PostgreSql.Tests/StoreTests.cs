using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>Tests of one store, opened on a schema of its own of the shared server before each test and closed after.</summary>
[Collection(SharedServer.Name)]
public abstract class StoreTests(PostgreSqlServerFixture server) : IAsyncLifetime
{
    /// <summary>How long a test waits for something asynchronous before it fails.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected PostgreSqlServerFixture Server => server;

    /// <summary>What <see cref="Store"/> was opened with; another node opens the same.</summary>
    protected PostgreSqlStoreOptions Options { get; } = server.NewStoreOptions();

    protected PostgreSqlEventStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync() => Store = await PostgreSqlEventStore.OpenAsync(Options, cancellationToken: Ct);

    /// <summary>
    /// Appends the requests as one batch: the writer is kept busy until all of them are queued. It is held on an
    /// append whose stream another node is writing, which that node then abandons.
    /// </summary>
    protected async Task<(Task<AppendResult>, Task<AppendResult>, Task<AppendResult>)> AppendTogetherAsync(AppendRequest a, AppendRequest b, AppendRequest c)
    {
        var gateStream = "gate/" + Guid.NewGuid().ToString("N");
        await using var gate = await OtherNodeAppend.WriteAsync(Store, Appends.New(gateStream));
        var held = Store.AppendAsync(Appends.New(gateStream), Ct);
        await gate.WaitUntilSomeoneWaitsAsync();

        var appends = (Store.AppendAsync(a, Ct), Store.AppendAsync(b, Ct), Store.AppendAsync(c, Ct));
        await gate.RollbackAsync();
        await held.WaitAsync(Patience, Ct);
        return appends;
    }

    /// <summary>
    /// Appends <paramref name="loser"/> and two batch-mates as one batch while <paramref name="otherNode"/> holds a row
    /// the loser writes, and commits that transaction once the batch waits for it: the batch is written again once,
    /// the loser fails alone (its exception is returned) and its batch-mates commit.
    /// </summary>
    private protected async Task<TException> LoseRaceAloneAsync<TException>(OtherNodeTransaction otherNode, AppendRequest loser, AppendRequest mate, AppendRequest otherMate)
        where TException : Exception
    {
        using var rewrites = new RewriteCounter();
        var (lost, first, second) = await AppendTogetherAsync(loser, mate, otherMate);
        await otherNode.WaitUntilSomeoneWaitsAsync();
        await otherNode.CommitAsync();

        var failure = await Assert.ThrowsAsync<TException>(() => lost.WaitAsync(Patience, Ct));
        await first.WaitAsync(Patience, Ct);
        await second.WaitAsync(Patience, Ct);
        Assert.Equal(1, rewrites.Count);
        return failure;
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
