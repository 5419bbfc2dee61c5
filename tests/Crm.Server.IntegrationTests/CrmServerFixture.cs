[assembly: AssemblyFixture(typeof(Crm.Server.IntegrationTests.CrmServerFixture))]

namespace Crm.Server.IntegrationTests;

/// <summary>One server on a temporary data directory for the whole test assembly; tests isolate themselves by tenant.</summary>
public sealed class CrmServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private CrmServerInstance? _server;

    public CrmServerInstance Server => _server ?? throw new InvalidOperationException("not started");

    public Task<TenantScope> NewTenantAsync() => Server.NewTenantAsync(TestContext.Current.CancellationToken);

    public async ValueTask InitializeAsync() => _server = await CrmServerInstance.StartAsync(_directory.Path, CrmServerInstance.NewKey());

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>A fresh directory under the temp path, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "crm-server-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying process; the temp directory is cleaned by the OS eventually.
        }
    }
}
