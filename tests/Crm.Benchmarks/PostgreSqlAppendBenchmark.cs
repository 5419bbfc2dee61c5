using Crm.Engine.Storage;
using Crm.Engine.Storage.PostgreSql;
using Crm.Testing.PostgreSql;
using Npgsql;

namespace Crm.Benchmarks;

/// <summary>
/// (f) The clustered store against its floor, on one private PostgreSQL server with durable commits, a fresh
/// database for each run: plain Npgsql on one connection inserting the rows the store writes for an append (event,
/// stream version, record row with its jsonb and tsvector, unique key) with one batch of statements and one commit per
/// <see cref="BenchmarkOptions.PostgreSqlBatchSize"/> appends — no checks, no positions reserved, no queue — and
/// <see cref="PostgreSqlEventStore.AppendAsync"/> from <see cref="BenchmarkOptions.PostgreSqlWriters"/> concurrent
/// writers. The server's CPU is measured beside the process's: it does half of the work.
/// </summary>
internal static class PostgreSqlAppendBenchmark
{
    private const string Schema = "crm";

    // The rows the store's statements (AppendStatements) write for a new stream, without their checks; the values are
    // bound by the store's own code.
    private const string InsertEvents = """
        INSERT INTO crm.events (tenant, stream_id, version, event_id, type, schema_version, time, actor, correlation_id, causation_id, payload)
        SELECT * FROM unnest(@tenants, @streams, @versions, @ids, @types, @schemas, @times, @actors, @correlations, @causations, @payloads)
        """;

    private const string InsertStreams = "INSERT INTO crm.streams (tenant, stream_id, version) SELECT * FROM unnest(@tenants, @streams, @versions)";

    private const string InsertRecords = """
        INSERT INTO crm.records (tenant, type, id, version, deleted, created_at, updated_at, data, data_text, search_text, search)
        SELECT r.tenant, r.type, r.id, r.version, r.deleted, r.created_at, r.updated_at, r.data::jsonb, r.data, r.search_text, to_tsvector('simple', r.tokens)
        FROM unnest(@tenants, @types, @ids, @versions, @deleted, @created, @updated, @data, @search, @tokens)
            AS r(tenant, type, id, version, deleted, created_at, updated_at, data, search_text, tokens)
        """;

    private const string InsertKeys = "INSERT INTO crm.unique_keys (tenant, kind, value, stream_id) SELECT * FROM unnest(@tenants, @kinds, @values, @streams)";

    /// <param name="ServerMicrosPerOp">CPU time of the PostgreSQL server's processes per row or append.</param>
    public sealed record Result(Measurement Measurement, double ServerMicrosPerOp, string Details);

    /// <summary>Raw Npgsql: <paramref name="appends"/> in batches of <paramref name="batchSize"/>; the first <paramref name="warmUp"/> untimed.</summary>
    public static async Task<Result> RunRawAsync(LocalPostgreSqlServer server, string database, IReadOnlyList<AppendRequest> appends, int warmUp, int batchSize)
    {
        var connectionString = await server.NewDatabaseAsync(database);

        // The store creates its schema; then it is closed and the rows go in without it.
        await (await PostgreSqlEventStore.OpenAsync(new PostgreSqlStoreOptions { ConnectionString = connectionString, Schema = Schema })).DisposeAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();

        await WriteAsync(connection, appends, 0, warmUp, batchSize);
        var serverCpu = ServerCpuClock.Start(server);
        var probe = Measurement.Start();
        await WriteAsync(connection, appends, warmUp, appends.Count - warmUp, batchSize);
        var measurement = probe.Stop(appends.Count - warmUp);
        var serverMicros = serverCpu.Elapsed().TotalMicroseconds / measurement.Operations;
        var commits = (measurement.Operations + batchSize - 1) / batchSize;
        return new Result(measurement, serverMicros, $"{commits:N0} commits of {batchSize}, {measurement.Elapsed.TotalMilliseconds / commits:N2} ms/commit");
    }

    /// <summary><see cref="PostgreSqlEventStore.AppendAsync"/> from <paramref name="writers"/> concurrent writers, each append a new stream.</summary>
    public static async Task<Result> RunStoreAsync(LocalPostgreSqlServer server, string database, IReadOnlyList<AppendRequest> appends, int warmUp, int writers)
    {
        var connectionString = await server.NewDatabaseAsync(database);
        await using var store = await PostgreSqlEventStore.OpenAsync(new PostgreSqlStoreOptions { ConnectionString = connectionString, Schema = Schema });
        using var metrics = new StoreBatchMetrics("Crm.Engine.Storage.PostgreSql");

        await StoreAppendBenchmark.AppendAllAsync(store, appends, 0, warmUp, writers);
        metrics.Reset();
        var serverCpu = ServerCpuClock.Start(server);
        var probe = Measurement.Start();
        await StoreAppendBenchmark.AppendAllAsync(store, appends, warmUp, appends.Count - warmUp, writers);
        var measurement = probe.Stop(appends.Count - warmUp);
        var serverMicros = serverCpu.Elapsed().TotalMicroseconds / measurement.Operations;
        return new Result(measurement, serverMicros, metrics.Describe(measurement.Elapsed));
    }

    private static async Task WriteAsync(NpgsqlConnection connection, IReadOnlyList<AppendRequest> appends, int start, int count, int batchSize)
    {
        var end = start + count;
        for (var batchStart = start; batchStart < end; batchStart += batchSize)
        {
            var batch = Enumerable.Range(batchStart, Math.Min(end, batchStart + batchSize) - batchStart).Select(i => appends[i]).ToList();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var statements = new NpgsqlBatch(connection, transaction);
            AddEvents(statements, batch);
            AddRows(statements, batch);
            await statements.PrepareAsync();
            await statements.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }
    }

    private static void AddEvents(NpgsqlBatch statements, List<AppendRequest> batch)
    {
        // The store binds the values; the column default assigns the positions.
        AppendStatements.BindEvents(Add(statements, InsertEvents), batch, positions: null);

        var streams = Add(statements, InsertStreams);
        streams.Parameters.AddWithValue("tenants", batch.Select(a => a.Tenant).ToArray());
        streams.Parameters.AddWithValue("streams", batch.Select(a => a.StreamId).ToArray());
        streams.Parameters.AddWithValue("versions", batch.Select(a => a.ExpectedVersion + a.Events.Count).ToArray());
    }

    private static void AddRows(NpgsqlBatch statements, List<AppendRequest> batch)
    {
        var rows = batch.ConvertAll(a => (a.Tenant, Row: a.Row!));
        AppendStatements.BindRecords(Add(statements, InsertRecords), rows);

        var claims = batch.SelectMany(a => a.Row!.UniqueClaims.Select(c => (a.Tenant, c.Kind, c.Value, Stream: a.StreamId))).ToList();
        var keys = Add(statements, InsertKeys);
        keys.Parameters.AddWithValue("tenants", claims.Select(c => c.Tenant).ToArray());
        keys.Parameters.AddWithValue("kinds", claims.Select(c => c.Kind).ToArray());
        keys.Parameters.AddWithValue("values", claims.Select(c => c.Value).ToArray());
        keys.Parameters.AddWithValue("streams", claims.Select(c => c.Stream).ToArray());
    }

    private static NpgsqlBatchCommand Add(NpgsqlBatch statements, string sql)
    {
        var command = new NpgsqlBatchCommand(sql);
        statements.BatchCommands.Add(command);
        return command;
    }
}
