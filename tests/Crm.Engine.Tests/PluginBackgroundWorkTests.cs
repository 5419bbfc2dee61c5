using Crm.Engine.Plugins;
using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;
using Crm.Engine.Testing;
using Crm.Plugins.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Tests;

/// <summary>
/// A plugin's background work on two nodes sharing one store: it runs on the node holding its lease only, is started
/// again after it throws, and moves to the other node when its node stops.
/// </summary>
public sealed class PluginBackgroundWorkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Background_work_runs_on_one_node_restarts_after_it_throws_and_moves_when_its_node_stops()
    {
        using var folder = new TestPluginFolder().AddTestPlugin("Heartbeat", "HeartbeatPlugin");
        var beats = folder.File("heartbeat.txt");
        await File.WriteAllTextAsync(beats, "", Ct);
        await using var store = SqliteEventStore.Open(new SqliteStoreOptions { Path = folder.File(Path.Combine("data", "crm.db")) });

        await using var a = await StartNodeAsync("A");
        await using var b = await StartNodeAsync("B");

        // One node takes the lease; its first run throws, and it is started again there.
        await Eventually.TrueAsync(() => Task.FromResult(Lines().Count(l => l.EndsWith(" beat", StringComparison.Ordinal)) >= 10));
        var lines = Lines();
        var holder = lines[0].Split(' ')[0];
        Assert.Equal([$"{holder} start", $"{holder} threw", $"{holder} start"], lines.Take(3));
        Assert.All(lines, l => Assert.StartsWith(holder + " ", l));
        var (holding, other) = holder == "A" ? (a, b) : (b, a);
        Assert.Equal(["plugin.Heartbeat.heartbeat"], Runtime(holding).HeldLeases.Select(l => l.Name));
        Assert.Empty(Runtime(other).HeldLeases);
        Assert.Equal(["heartbeat"], holding.Services.GetRequiredService<PluginCatalog>().Find("Heartbeat")!.BackgroundWork);

        // The holder stops: its work is cancelled, the lease is handed over and the other node starts the work.
        var otherName = holder == "A" ? "B" : "A";
        await holding.DisposeAsync();
        Assert.Contains($"{holder} stop", Lines());
        await Eventually.TrueAsync(() => Task.FromResult(Lines().Contains($"{otherName} beat")));
        Assert.DoesNotContain($"{otherName} threw", Lines());

        List<string> Lines() => [.. File.ReadAllLines(beats).Where(l => l.Length > 0)];

        Task<CrmTestEngine> StartNodeAsync(string node)
        {
            var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Heartbeat:Path"] = beats,
                ["Heartbeat:Node"] = node,
            }).Build();
            return CrmTestEngine.StartAsync(configure: o =>
            {
                o.UseEventStore(_ => new SharedStore(store));
                o.Plugins.Folder = folder.Path;
                o.Plugins.Configuration = settings;
            }, cancellationToken: Ct);
        }
    }

    private static PluginRuntime Runtime(CrmTestEngine engine) => engine.Services.GetRequiredService<PluginRuntime>();

    /// <summary>One store for both nodes, as a shared database would be; the test closes it, not the nodes.</summary>
    private sealed class SharedStore(IEventStore inner) : IEventStore
    {
        public IRecordReadModel ReadModel => inner.ReadModel;

        public ICoordinationStore Coordination => inner.Coordination;
        public IProjectionStore Projections => inner.Projections;

        public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default) => inner.AppendAsync(request, cancellationToken);

        public Task<IReadOnlyList<CrmEvent>> ReadStreamAsync(string tenant, string streamId, long fromVersion = 1, int maxCount = int.MaxValue, CancellationToken cancellationToken = default) =>
            inner.ReadStreamAsync(tenant, streamId, fromVersion, maxCount, cancellationToken);

        public Task<IReadOnlyList<CrmEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken cancellationToken = default) =>
            inner.ReadAllAsync(afterPosition, maxCount, cancellationToken);

        public Task<long> GetHeadPositionAsync(CancellationToken cancellationToken = default) => inner.GetHeadPositionAsync(cancellationToken);

        public Task WaitForCommitAsync(long afterPosition, CancellationToken cancellationToken = default) => inner.WaitForCommitAsync(afterPosition, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
