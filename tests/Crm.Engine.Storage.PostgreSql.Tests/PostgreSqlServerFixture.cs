using Crm.Testing.PostgreSql;
using Xunit;

[assembly: AssemblyFixture(typeof(Crm.Engine.Storage.PostgreSql.Tests.PostgreSqlServerFixture))]

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// Every test reads the whole log, and a transaction held open by one test holds back the high-water mark of every
/// schema on the server, so the classes using it run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedServer
{
    public const string Name = "One PostgreSQL server";
}

/// <summary>One private PostgreSQL server for the whole test run; each store gets a schema of its own.</summary>
public sealed class PostgreSqlServerFixture : LocalPostgreSqlServer, IAsyncLifetime
{
    public ValueTask InitializeAsync() => new(StartAsync(TestContext.Current.CancellationToken));
}
