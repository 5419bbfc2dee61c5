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

    public virtual async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
