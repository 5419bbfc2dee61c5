namespace Crm.Server.IntegrationTests;

/// <summary>Data a test class sets up once on the shared server and reads from many tests.</summary>
public sealed class SharedTenant<T>(Func<CrmServerInstance, Task<T>> setUp) where T : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (CrmServerInstance Server, T Value)? _value;

    public async Task<T> GetAsync(CrmServerInstance server)
    {
        await _gate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_value is { } v && v.Server == server) return v.Value;
            var value = await setUp(server);
            _value = (server, value);
            return value;
        }
        finally
        {
            _gate.Release();
        }
    }
}
