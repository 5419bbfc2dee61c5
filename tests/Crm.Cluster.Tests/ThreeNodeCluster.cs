using System.Security.Cryptography;
using Crm.Engine.Client;
using Crm.Testing.PostgreSql;

namespace Crm.Cluster.Tests;

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ThreeNodeCluster>
{
    public const string Name = "Three Crm.Server nodes on one PostgreSQL";
}

/// <summary>
/// Three Crm.Server processes in cluster mode against one private PostgreSQL server, each on ports of its own.
/// Tests that stop or kill a node bring it back before they end; every process is killed on teardown.
/// </summary>
public sealed class ThreeNodeCluster : IAsyncLifetime
{
    private readonly LocalPostgreSqlServer _postgres = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "crm-cluster-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>How long a dead node keeps its leases (timers, subscriptions) before another node takes them.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    public IReadOnlyList<ServerNode> Nodes { get; private set; } = [];

    /// <summary>The admin key of the bootstrap tenant, set on every node.</summary>
    public string BootstrapKey { get; } = "cluster-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public ServerNode this[int number] => Nodes[number - 1];

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        await _postgres.StartAsync(TestContext.Current.CancellationToken);
        var environment = ServerNode.ClusterEnvironment(_postgres.Port, "cluster-tests", BootstrapKey, poolSize: 40);
        // A killed node is declared dead after a few missed probes; the default 5 s probe would make the test wait ~15 s.
        environment["Crm__Cluster__Membership__ProbeTimeout"] = "00:00:02";
        environment["Logging__LogLevel__Crm"] = "Information";
        // Timers and subscriptions move to another node within about LeaseDuration of their holder dying.
        environment["Crm__Coordination__LeaseDuration"] = LeaseDuration.ToString("c");
        environment["Crm__Coordination__RenewInterval"] = "00:00:01";
        Nodes = [.. Enumerable.Range(1, 3).Select(n => new ServerNode(n, environment, _directory))];
        // Together, as a deployment would: the schema scripts and the bootstrap tenant are made once.
        await Task.WhenAll(Nodes.Select(n => n.StartAsync()));
    }

    /// <summary>The bootstrap tenant's admin through one node.</summary>
    public CrmHttpClient Admin(int node) => new(this[node].Http, BootstrapKey);

    /// <summary>A client of one node with a key.</summary>
    public CrmHttpClient Client(int node, string key) => new(this[node].Http, key);

    /// <summary>A new tenant (made through node 1) and its admin key.</summary>
    public async Task<string> NewTenantKeyAsync()
    {
        var id = "t" + Guid.NewGuid().ToString("N")[..12];
        var created = await Admin(1).Tenants.CreateAsync(id, "Tenant " + id, cancellationToken: TestContext.Current.CancellationToken);
        return created.AdminKey;
    }

    /// <summary>The node holding a once-per-cluster lease now (by the process id in the lease row), or null.</summary>
    public async Task<int?> LeaseHolderAsync(string lease)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_postgres.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("SELECT owner FROM crm.leases WHERE name = @n AND expires_at > @now", connection);
        command.Parameters.AddWithValue("n", lease);
        command.Parameters.AddWithValue("now", DateTimeOffset.UtcNow.UtcTicks);
        if (await command.ExecuteScalarAsync(TestContext.Current.CancellationToken) is not string owner) return null;
        var pid = int.Parse(owner.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        return Nodes.FirstOrDefault(n => n.ProcessId == pid)?.Number;
    }

    /// <summary>Rows of a subscription's outbox: key and status (0 pending, 1 done, 2 failed).</summary>
    public async Task<List<(string Key, int Status, int Attempts)>> OutboxAsync(string subscription)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_postgres.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("SELECT key, status, attempts FROM crm.outbox WHERE subscription = @s", connection);
        command.Parameters.AddWithValue("s", subscription);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new List<(string, int, int)>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken)) rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2)));
        return rows;
    }

    /// <summary>Every node's recent output, for a failure message.</summary>
    public string Output() => string.Join("\n", Nodes.Select(n => n.Output()));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        await _postgres.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A node may still hold a file for a moment; the temp directory is cleaned eventually.
        }
    }
}
