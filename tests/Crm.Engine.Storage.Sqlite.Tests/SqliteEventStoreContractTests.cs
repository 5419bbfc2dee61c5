using Crm.Engine.Storage.Contract;

namespace Crm.Engine.Storage.Sqlite.Tests;

/// <summary>The SQLite store against the contract every event store must meet.</summary>
public sealed class SqliteEventStoreContractTests : EventStoreContractTests
{
    private readonly List<TempDataDirectory> _directories = [];

    protected override Task<IEventStore> CreateStoreAsync()
    {
        var directory = new TempDataDirectory();
        _directories.Add(directory);
        return Task.FromResult<IEventStore>(SqliteEventStore.Open(directory.Options()));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var directory in _directories)
        {
            directory.Dispose();
        }
    }
}
