using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Cli.Targets;

/// <summary>What the commands work on: a running server (remote) or a data directory no server holds (embedded).</summary>
internal interface ICrmTarget : IAsyncDisposable
{
    /// <summary>For messages: "server http://…" or "data directory …".</summary>
    string Description { get; }

    /// <summary>The tenant the commands work in.</summary>
    string Tenant { get; }

    /// <summary>The record with this id (deleted ones too), or null when it never existed.</summary>
    Task<StoredRecord?> GetAsync(string type, string id, CancellationToken cancellationToken);

    /// <summary>Creates a record with a chosen id through the full write pipeline; refusals throw <see cref="TargetWriteException"/>.</summary>
    Task<StoredRecord> CreateAsync(string type, string id, JsonObject fields, CancellationToken cancellationToken);

    /// <summary>
    /// Creates new records in one go, each through the full write pipeline; per row, in order, the record created or
    /// the refusal (<c>exists</c> for an id that is taken, <c>duplicate</c> with the holder for a taken email).
    /// </summary>
    Task<IReadOnlyList<CreateOutcome>> CreateManyAsync(string type, IReadOnlyList<(string Id, JsonObject Fields)> rows, CancellationToken cancellationToken);

    /// <summary>Changes a record (merge-patch); refusals throw <see cref="TargetWriteException"/>.</summary>
    Task<StoredRecord> UpdateAsync(string type, string id, JsonObject patch, CancellationToken cancellationToken);

    /// <summary>Every live record of a type matching a filter (filter language), page after page, as id + fields.</summary>
    IAsyncEnumerable<JsonObject> ListAsync(string type, string? filter, CancellationToken cancellationToken);

    /// <summary>The tenant's custom fields of a record type: name and type (e.g. <c>Number</c>).</summary>
    Task<IReadOnlyList<(string Name, string Type)>> CustomFieldsAsync(string type, CancellationToken cancellationToken);

    /// <summary>Lets the engine release the records an import touched; a no-op where the server manages that itself.</summary>
    Task ReleaseIdleRecordsAsync(CancellationToken cancellationToken);
}

/// <summary>One row of a bulk create: the record created, or why not.</summary>
internal sealed record CreateOutcome(StoredRecord? Record, TargetWriteException? Error);

/// <summary>A record's id, version and fields as the target answered.</summary>
internal sealed record StoredRecord(string Id, long Version, bool Deleted, JsonObject Fields);

/// <summary>A write the engine refused: its code (<c>validation</c>, <c>duplicate</c>, <c>exists</c>, …), reasons, and for a duplicate the record holding the value.</summary>
internal sealed class TargetWriteException(string code, string message, IReadOnlyList<string> reasons, string? existingId = null)
    : Exception(message)
{
    public string Code { get; } = code;

    public IReadOnlyList<string> Reasons { get; } = reasons;

    public string? ExistingId { get; } = existingId;
}

/// <summary>A command that needs a server (keys, tenants) was run on a data directory, or the other way round.</summary>
internal sealed class TargetModeException(string message) : Exception(message);

/// <summary>Targets that are a server: the typed REST client for the commands only a server offers.</summary>
internal interface IRemoteTarget
{
    CrmHttpClient Client { get; }

    /// <summary>Posts JSON to a route the typed client does not cover and answers the JSON object.</summary>
    Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken cancellationToken);
}
