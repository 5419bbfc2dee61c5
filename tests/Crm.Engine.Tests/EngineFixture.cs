using Crm.Engine.Testing;

[assembly: AssemblyFixture(typeof(Crm.Engine.Tests.EngineFixture))]

namespace Crm.Engine.Tests;

/// <summary>One engine on a temporary SQLite file for the whole test assembly; tests isolate themselves by tenant.</summary>
public sealed class EngineFixture : IAsyncLifetime
{
    private CrmTestEngine? _engine;

    public CrmTestEngine Engine => _engine ?? throw new InvalidOperationException("not started");

    /// <summary>A client for a tenant no other test uses.</summary>
    public ICrmClient NewTenant() => Engine.ForTenant("t" + Guid.NewGuid().ToString("N")[..12], Actor.User("tester"));

    public async ValueTask InitializeAsync() => _engine = await CrmTestEngine.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }
}
