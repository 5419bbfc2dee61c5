using Crm.Engine.Client;
using Crm.Server.IntegrationTests;

namespace Crm.Cli.Tests;

/// <summary>The real Crm.Server, started in-process as the server's own tests start it, with its URL for the CLI's <c>--url</c>.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly CrmServerInstance _server;

    private TestServer(CrmServerInstance server) => _server = server;

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Url => _server.BaseAddress.ToString();

    public string DataPath => _server.DataPath;

    /// <summary>The bootstrap admin key of the tenant <c>default</c>.</summary>
    public string AdminKey => _server.BootstrapKey;

    public HttpClient Http => _server.Http;

    public CrmHttpClient Admin => _server.Bootstrap;

    public static async Task<TestServer> StartAsync(string dataPath) =>
        new(await CrmServerInstance.StartAsync(dataPath, CrmServerInstance.NewKey(), TestContext.Current.CancellationToken));

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
