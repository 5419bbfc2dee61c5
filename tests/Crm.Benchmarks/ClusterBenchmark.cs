using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Crm.Testing.Processes;
using Crm.Engine.Storage;
using Crm.Engine.Storage.PostgreSql;
using Crm.Testing.PostgreSql;
using Npgsql;

namespace Crm.Benchmarks;

/// <summary>
/// (g) Creates through a cluster: a private PostgreSQL server, then one, two and three Crm.Server processes in cluster
/// mode (started as an operator would: <c>dotnet Crm.Server.dll</c> with environment variables), each size measured
/// with the same number of concurrent HTTP clients spread evenly across the nodes. Beside it, raw Npgsql writes the
/// rows a create writes (event, stream version, record row with its tsvector, unique email key) into the store's
/// own tables, in batched transactions from one connection: the floor PostgreSQL itself sets on this machine.
/// CPU is split by process (the nodes, this client, and everything else, which is mostly PostgreSQL), and PostgreSQL's
/// transaction count per create shows what besides the appends reaches the database (log followers, membership).
/// </summary>
internal static class ClusterBenchmark
{
    private const string Key = "bench-cluster-key-0000000000000000001";
    private const int RawBatch = 256;

    public sealed record Phase(int Nodes, Measurement Measurement, double P50Ms, double P99Ms, double MaxMs, int Failed,
        double NodeCpuMicros, double ClientCpuMicros, double OtherCpuMicros, double CommitsPerCreate, TimeSpan StartUp);

    public sealed record Result(IReadOnlyList<Phase> Phases, Measurement Raw, string RawDetails, string PostgreSqlVersion);

    /// <summary>Needs <c>4 × (creates + warmUp)</c> contacts: the raw baseline and each cluster size write their own.</summary>
    public static async Task<Result> RunAsync(IReadOnlyList<ContactInput> contacts, int creates, int warmUp, int clients, int rawRows, Action<string> progress)
    {
        var perPhase = creates + warmUp;
        var postgres = new LocalPostgreSqlServer();
        progress("(g) starting a private PostgreSQL server");
        await postgres.StartAsync();
        var directory = new TempDataDirectory("cluster");
        var nodes = new List<ServerNode>();
        try
        {
            progress($"(g) raw Npgsql: {rawRows:N0} appends' rows, {RawBatch} per transaction, one connection");
            var (raw, rawDetails) = await RunRawAsync(postgres, ContactAppends.Build(contacts.Take(rawRows).ToList()));
            var version = await ScalarAsync<string>(postgres.ConnectionString, "SHOW server_version");

            var environment = ServerNode.ClusterEnvironment(postgres.Port, "bench", Key, poolSize: 64);

            var phases = new List<Phase>();
            for (var size = 1; size <= 3; size++)
            {
                var starting = Stopwatch.StartNew();
                var node = new ServerNode(size, environment, directory.Path);
                nodes.Add(node);
                await node.StartAsync();
                var startUp = starting.Elapsed;
                var slice = contacts.Skip(rawRows + (size - 1) * perPhase).Take(perPhase).ToList();
                progress($"(g) {size} node{(size > 1 ? "s" : "")}: {creates:N0} creates from {clients} clients spread across them");
                phases.Add(await RunPhaseAsync(postgres, nodes, slice, creates, warmUp, clients, startUp));
            }

            return new Result(phases, raw, rawDetails, version);
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
            await postgres.DisposeAsync();
            directory.Dispose();
        }
    }

    private static async Task<Phase> RunPhaseAsync(LocalPostgreSqlServer postgres, IReadOnlyList<ServerNode> nodes, IReadOnlyList<ContactInput> contacts,
        int creates, int warmUp, int clients, TimeSpan startUp)
    {
        var bodies = contacts.Select(c => Encoding.UTF8.GetBytes(c.ToFields().ToJsonString())).ToArray();
        var https = nodes.Select(n => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, UseProxy = false, UseCookies = false })
        {
            BaseAddress = n.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", Key) },
        }).ToArray();
        try
        {
            var failed = 0;
            async Task<bool> CreateAsync(int index, int client)
            {
                using var content = new ByteArrayContent(bodies[index]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await https[client % https.Length].PostAsync("api/v1/contacts", content);
                if (response.StatusCode == HttpStatusCode.Created) return true;
                Interlocked.Increment(ref failed);
                return false;
            }

            await LoadAsync(0, warmUp, clients, null, CreateAsync);
            failed = 0;
            var latencies = new double[creates];
            var nodePids = nodes.Select(n => n.ProcessId!.Value).ToArray();
            var nodeCpu = nodePids.Sum(MachineCpu.ProcessSeconds);
            var machine = MachineCpu.BusySeconds();
            var commits = await CommitsAsync(postgres);
            var probe = Measurement.Start();
            await LoadAsync(warmUp, creates, clients, latencies, CreateAsync);
            var measurement = probe.Stop(creates);
            var commitsPerCreate = (await CommitsAsync(postgres) - commits) / (double)creates;
            var perCreate = 1e6 / creates;
            var nodeMicros = (nodePids.Sum(MachineCpu.ProcessSeconds) - nodeCpu) * perCreate;
            var clientMicros = measurement.Cpu.TotalSeconds * perCreate;
            var otherMicros = (MachineCpu.BusySeconds() - machine) * perCreate - nodeMicros - clientMicros;
            Array.Sort(latencies);
            return new Phase(nodes.Count, measurement, MachineCpu.Percentile(latencies, 0.50), MachineCpu.Percentile(latencies, 0.99), latencies[^1], failed,
                nodeMicros, clientMicros, Math.Max(0, otherMicros), commitsPerCreate, startUp);
        }
        finally
        {
            foreach (var http in https) http.Dispose();
        }
    }

    /// <summary>Creates indexes <c>start</c> to <c>start + count - 1</c> from <paramref name="clients"/> loops; client i talks to node i mod n.</summary>
    private static Task LoadAsync(int start, int count, int clients, double[]? latencies, Func<int, int, Task<bool>> create)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                var started = Stopwatch.GetTimestamp();
                await create(start + i, client);
                if (latencies is not null) latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
    }

    /// <summary>The rows of <paramref name="appends"/> written with plain INSERTs into a fresh store schema.</summary>
    private static async Task<(Measurement, string)> RunRawAsync(LocalPostgreSqlServer postgres, IReadOnlyList<AppendRequest> appends)
    {
        var storeOptions = postgres.NewStoreOptions();
        await (await PostgreSqlEventStore.OpenAsync(storeOptions)).DisposeAsync(); // creates the schema
        var schema = storeOptions.Schema;
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        var probe = Measurement.Start();
        for (var offset = 0; offset < appends.Count; offset += RawBatch)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var append in appends.Skip(offset).Take(RawBatch))
            {
                AddRows(batch, schema, append);
            }

            await batch.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        var measurement = probe.Stop(appends.Count);
        var commits = (appends.Count + RawBatch - 1) / RawBatch;
        return (measurement, $"{commits:N0} commits of {RawBatch} appends (4 rows each), {measurement.Elapsed.TotalMilliseconds / commits:N1} ms/commit");
    }

    private static void AddRows(NpgsqlBatch batch, string schema, AppendRequest append)
    {
        var e = append.Events[0];
        var row = append.Row!;
        Add(batch, $"""
            INSERT INTO {schema}.events (tenant, stream_id, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload)
            VALUES ($1, $2, 1, $3, $4, $5, $6, $7, NULL, NULL, $8)
            """, append.Tenant, append.StreamId, e.EventId, e.Type, e.SchemaVersion, e.Time.ToUnixTimeMilliseconds(), e.Actor.ToString(), e.PayloadJson);
        Add(batch, $"INSERT INTO {schema}.streams (tenant, stream_id, version) VALUES ($1, $2, 1)", append.Tenant, append.StreamId);
        Add(batch, $"""
            INSERT INTO {schema}.records (tenant, type, id, version, deleted, created_at, updated_at, data, data_text, search_text, search)
            VALUES ($1, $2, $3, 1, false, $4, $4, $5::jsonb, $5, $6, to_tsvector('simple', $6))
            """, append.Tenant, row.Type, row.Id, row.CreatedAt.ToUnixTimeMilliseconds(), row.DataJson, row.SearchText);
        var claim = row.UniqueClaims[0];
        Add(batch, $"INSERT INTO {schema}.unique_keys (tenant, kind, value, stream_id) VALUES ($1, $2, $3, $4)", append.Tenant, claim.Kind, claim.Value, append.StreamId);
    }

    private static void Add(NpgsqlBatch batch, string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        batch.BatchCommands.Add(command);
    }

    private static async Task<long> CommitsAsync(LocalPostgreSqlServer postgres) =>
        await ScalarAsync<long>(postgres.ConnectionString, "SELECT sum(xact_commit)::bigint FROM pg_stat_database");

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
