using Crm.Engine.Storage.Sqlite;

namespace Crm.Engine.Tests;

/// <summary>A test on a real SQLite store of its own, in a temporary directory removed afterwards.</summary>
public abstract class SqliteStoreTest(string name) : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"crm-{name}-" + Guid.NewGuid().ToString("N"));

    /// <summary>The store, open for the test.</summary>
    internal SqliteEventStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        Store = SqliteEventStore.Open(new SqliteStoreOptions { Path = Path.Combine(_directory, "crm.db") });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}
