using System.Reflection;
using Npgsql;
using Orleans.Runtime;

namespace Crm.Server.Cluster;

/// <summary>
/// Applies Orleans' PostgreSQL scripts (membership, grain state) before the silo joins: under an advisory lock, so nodes
/// starting together wait for each other, and each script at most once (<c>crm_applied_scripts</c> records them).
/// </summary>
internal sealed partial class OrleansSchemaInstaller(CrmClusterOptions options, ILogger<OrleansSchemaInstaller> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    // The order matters: the main script creates the query table the others fill.
    internal static readonly string[] Scripts = ["PostgreSQL-Main.sql", "PostgreSQL-Clustering.sql", "PostgreSQL-Persistence.sql"];

    // pg_advisory_xact_lock key: "crm.orleans-schema" by convention of this server, the same on every node.
    private const long LockKey = 0x63726d_6f726c;

    // Membership starts at RuntimeGrainServices; its tables must exist by then.
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OrleansSchemaInstaller), ServiceLifecycleStage.RuntimeInitialize, InstallAsync);

    public async Task InstallAsync(CancellationToken cancellationToken)
    {
        var schema = options.OrleansSchema;
        await using var connection = new NpgsqlConnection(options.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
        await ExecuteAsync(connection, $"""
            CREATE SCHEMA IF NOT EXISTS {schema};
            SET LOCAL search_path TO {schema};
            CREATE TABLE IF NOT EXISTS {schema}.crm_applied_scripts (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            """, cancellationToken);

        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand($"SELECT name FROM {schema}.crm_applied_scripts", connection))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetString(0));
        }

        foreach (var script in Scripts.Where(s => !applied.Contains(s)))
        {
            await ExecuteAsync(connection, ReadScript(script), cancellationToken);
            await using var record = new NpgsqlCommand($"INSERT INTO {schema}.crm_applied_scripts (name) VALUES (@name)", connection);
            record.Parameters.AddWithValue("name", script);
            await record.ExecuteNonQueryAsync(cancellationToken);
            LogApplied(logger, script, schema);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string ReadScript(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Crm.Server.Cluster.Schema." + name)
            ?? throw new InvalidOperationException($"The Orleans schema script {name} is missing from the server build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied Orleans schema script {Script} to schema {Schema}")]
    private static partial void LogApplied(ILogger logger, string script, string schema);
}
