using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Filtering;
using Crm.Engine.Hosting;
using Crm.Engine.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Crm.Cli.Targets;

/// <summary>The engine run inside the CLI on a data directory (its own silo on loopback, SQLite in <c>crm.db</c>).</summary>
internal sealed class EmbeddedTarget : ICrmTarget
{
    private static readonly TimeSpan IdleAge = TimeSpan.FromSeconds(1);
    private readonly IHost _host;

    private EmbeddedTarget(IHost host, string dataPath, ICrmClient client)
    {
        _host = host;
        DataPath = dataPath;
        Client = client;
    }

    public string Description => $"data directory {DataPath}";

    public string Tenant => Client.Tenant;

    public string DataPath { get; }

    /// <summary>The engine's client in the chosen tenant.</summary>
    public ICrmClient Client { get; }

    /// <summary>Starts the engine on <paramref name="dataPath"/>; the caller has checked that no server holds it.</summary>
    public static async Task<EmbeddedTarget> StartAsync(string dataPath, string tenant, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.AddCrmEngine(o =>
        {
            // The CLI's writes are bulk loads: fewer, larger checkpoints copy each page of the email index (changed by
            // nearly every batch of an import) fewer times. No caller waits on a single append here.
            o.UseSqlite(Path.Combine(dataPath, "crm.db"), sqlite => sqlite.CheckpointPages = 32_768);
            o.DefaultActor = new Actor(ActorKind.System, "cli");
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        var client = host.Services.GetRequiredService<ICrmClient>();
        return new EmbeddedTarget(host, dataPath, client.ForTenant(tenant));
    }

    public async Task<StoredRecord?> GetAsync(string type, string id, CancellationToken cancellationToken)
    {
        var record = await Client.GetIncludingDeletedAsync(type, id, cancellationToken: cancellationToken);
        return record is null ? null : ToStored(record);
    }

    public async Task<StoredRecord> CreateAsync(string type, string id, JsonObject fields, CancellationToken cancellationToken)
    {
        try
        {
            return ToStored(await Client.CreateAsync(type, fields, id, cancellationToken: cancellationToken));
        }
        catch (CrmException ex)
        {
            throw Refused(ex);
        }
    }

    public async Task<IReadOnlyList<CreateOutcome>> CreateManyAsync(string type, IReadOnlyList<(string Id, JsonObject Fields)> rows, CancellationToken cancellationToken)
    {
        var results = await Client.CreateManyAsync(type, [.. rows.Select(r => r.Fields)], [.. rows.Select(r => (string?)r.Id)], cancellationToken: cancellationToken);
        // The import only needs to know what was created; the stored fields are what the row sent (no JSON re-read).
        return [.. results.Select((r, i) => r.Error is { } error
            ? new CreateOutcome(null, Refused(error))
            : new CreateOutcome(new StoredRecord(r.Record!.Id, r.Record.Version, false, rows[i].Fields), null))];
    }

    public async Task<StoredRecord> UpdateAsync(string type, string id, JsonObject patch, CancellationToken cancellationToken)
    {
        try
        {
            return ToStored(await Client.UpdateAsync(type, id, patch, cancellationToken: cancellationToken));
        }
        catch (CrmException ex)
        {
            throw Refused(ex);
        }
    }

    public async IAsyncEnumerable<JsonObject> ListAsync(string type, string? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = new RecordQuery { Limit = 1000, Filter = string.IsNullOrWhiteSpace(filter) ? null : FilterLanguage.Parse(filter, DateTimeOffset.UtcNow) };
        while (true)
        {
            var page = await Client.QueryAsync(type, query, cancellationToken);
            foreach (var record in page.Items)
            {
                var fields = record.Fields;
                fields.Insert(0, "id", record.Id);
                yield return fields;
            }

            if (page.Next is null) yield break;
            query = query with { Cursor = page.Next };
        }
    }

    public async Task<IReadOnlyList<(string Name, string Type)>> CustomFieldsAsync(string type, CancellationToken cancellationToken)
    {
        var settings = await Client.GetSettingsAsync(cancellationToken: cancellationToken);
        return [.. settings.CustomFieldsOf(type).Select(f => (f.Name, f.Type.ToString()))];
    }

    public Task ReleaseIdleRecordsAsync(CancellationToken cancellationToken) =>
        // Grains an import touched are not needed again; collecting them keeps a million-row import's memory flat.
        _host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(IdleAge);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(CancellationToken.None);
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static StoredRecord ToStored(CrmRecord record) => new(record.Id, record.Version, record.Deleted, record.Fields);

    private static TargetWriteException Refused(CrmException ex) => ex switch
    {
        ValidationException v => new TargetWriteException(ex.Code, ex.Message, [.. v.Errors.Select(e => $"{e.Field}: {e.Message}")]),
        DuplicateRecordException d => new TargetWriteException(ex.Code, ex.Message, [ex.Message], d.ExistingId),
        _ => new TargetWriteException(ex.Code, ex.Message, [ex.Message]),
    };
}
