using Crm.Engine.Storage.Contract;
using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>The PostgreSQL store against the contract every event store must meet; each store gets its own schema.</summary>
[Collection(SharedServer.Name)]
public sealed class PostgreSqlEventStoreContractTests(PostgreSqlServerFixture server) : EventStoreContractTests
{
    protected override async Task<IEventStore> CreateStoreAsync() =>
        await PostgreSqlEventStore.OpenAsync(server.NewStoreOptions(), cancellationToken: Ct);
}
