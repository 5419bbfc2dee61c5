using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>The routes of one record resource (<c>/api/v1/{resource}</c>): CRUD, list, history, timeline, links, batch, upsert.</summary>
public sealed class CrmRecords
{
    private readonly CrmHttpClient _client;
    private readonly string _path;

    internal CrmRecords(CrmHttpClient client, string resource)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resource);
        _client = client;
        Resource = resource;
        _path = "api/v1/" + CrmHttpClient.Escape(resource);
    }

    /// <summary>The resource name, e.g. <c>contacts</c>.</summary>
    public string Resource { get; }

    /// <summary>
    /// Creates a record (<c>POST</c>). With an <paramref name="idempotencyKey"/>, a retry with the same key and body
    /// answers the first result instead of creating a second record. An <c>id</c> in <paramref name="fields"/> chooses the id.
    /// </summary>
    public async Task<ApiRecord> CreateAsync(JsonObject fields, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var response = await _client.SendAsync(HttpMethod.Post, _path, fields,
            idempotencyKey is null ? null : r => r.Headers.Add("Idempotency-Key", idempotencyKey), cancellationToken).ConfigureAwait(false);
        return response.Record();
    }

    /// <summary>Reads a record, as of a past time when <paramref name="asOf"/> is given. Throws a 404 <see cref="CrmApiException"/> when absent.</summary>
    public async Task<ApiRecord> GetAsync(string id, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        var path = CrmHttpClient.Query(Item(id), ("asOf", asOf is { } t ? Json.Format(t) : null));
        return (await _client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false)).Record();
    }

    /// <summary>Reads a record, or null when there is none the key may see.</summary>
    public async Task<ApiRecord?> TryGetAsync(string id, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetAsync(id, asOf, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Changes a record with JSON merge-patch semantics (<c>null</c> clears a field). With <paramref name="ifMatch"/>
    /// (an <see cref="ApiRecord.ETag"/>) a record changed meanwhile is refused with 412.
    /// </summary>
    public async Task<ApiRecord> PatchAsync(string id, JsonObject patch, string? ifMatch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var response = await _client.SendAsync(HttpMethod.Patch, Item(id), patch, IfMatch(ifMatch), cancellationToken, "application/merge-patch+json")
            .ConfigureAwait(false);
        return response.Record();
    }

    /// <summary>Deletes a record (a tombstone: history stays, <see cref="RestoreAsync"/> brings it back).</summary>
    public async Task DeleteAsync(string id, string? ifMatch = null, CancellationToken cancellationToken = default) =>
        await _client.SendAsync(HttpMethod.Delete, Item(id), null, IfMatch(ifMatch), cancellationToken).ConfigureAwait(false);

    /// <summary>Restores a deleted record.</summary>
    public async Task<ApiRecord> RestoreAsync(string id, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Post, Item(id) + "/restore", null, null, cancellationToken).ConfigureAwait(false)).Record();

    /// <summary>One page of records matching the query.</summary>
    public async Task<ApiPage<ApiRecord>> ListAsync(ListQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new ListQuery();
        var path = CrmHttpClient.Query(_path,
            ("q", query.Q),
            ("filter", query.Filter),
            ("sort", query.Sort),
            ("limit", query.Limit?.ToString(CultureInfo.InvariantCulture)),
            ("cursor", query.Cursor),
            ("includeDeleted", query.IncludeDeleted ? "true" : null));
        var response = await _client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false);
        return response.Page(o => new ApiRecord(o));
    }

    /// <summary>Every record matching the query, page after page (the query's cursor is where it starts).</summary>
    public async IAsyncEnumerable<ApiRecord> ListAllAsync(ListQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        query ??= new ListQuery();
        while (true)
        {
            var page = await ListAsync(query, cancellationToken).ConfigureAwait(false);
            foreach (var record in page.Items) yield return record;
            if (page.Next is null) yield break;
            query = query with { Cursor = page.Next };
        }
    }

    /// <summary>A page of the record's events, oldest first.</summary>
    public async Task<ApiPage<ApiEvent>> GetHistoryAsync(string id, string? cursor = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var path = CrmHttpClient.Query(Item(id) + "/history", ("cursor", cursor), ("limit", limit?.ToString(CultureInfo.InvariantCulture)));
        return (await _client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false)).Page(ApiEvent.From);
    }

    /// <summary>A page of the record's timeline, newest first: its events and those of the records linked to it.</summary>
    public async Task<ApiPage<ApiEvent>> GetTimelineAsync(string id, string? cursor = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var path = CrmHttpClient.Query(Item(id) + "/timeline", ("cursor", cursor), ("limit", limit?.ToString(CultureInfo.InvariantCulture)));
        return (await _client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false)).Page(ApiEvent.From);
    }

    /// <summary>
    /// Possible duplicates of a contact or account (<c>GET /{resource}/{id}/duplicates</c>): <c>{ items: [{ record, score, reasons }] }</c>.
    /// </summary>
    public async Task<JsonObject> GetDuplicatesAsync(string id, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, Item(id) + "/duplicates", null, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>
    /// Merges contact <paramref name="mergeId"/> into contact <paramref name="id"/> (<c>POST /contacts/{id}/merge</c>);
    /// answers <c>{ survivor, mergedId, filledFields, conflicts, moved, consentTaken }</c>. Asking again answers the same merge.
    /// </summary>
    public async Task<JsonObject> MergeAsync(string id, string mergeId, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Post, Item(id) + "/merge", new JsonObject { ["mergeId"] = mergeId }, null, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Links the record to another (e.g. a deal to its account); linking again updates the role.</summary>
    public async Task<ApiRecord> LinkAsync(string id, string targetType, string targetId, string? role = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["type"] = targetType, ["id"] = targetId };
        if (role is not null) body["role"] = role;
        return (await _client.SendAsync(HttpMethod.Post, Item(id) + "/links", body, null, cancellationToken).ConfigureAwait(false)).Record();
    }

    /// <summary>Removes a link the record owns.</summary>
    public async Task<ApiRecord> UnlinkAsync(string id, string targetType, string targetId, CancellationToken cancellationToken = default)
    {
        var path = $"{Item(id)}/links/{CrmHttpClient.Escape(targetType)}/{CrmHttpClient.Escape(targetId)}";
        return (await _client.SendAsync(HttpMethod.Delete, path, null, null, cancellationToken).ConfigureAwait(false)).Record();
    }

    /// <summary>
    /// Creates or updates up to 1,000 records at once. A row with the <c>id</c> of an existing record updates it (with
    /// its <c>version</c> as the expected version when given); other rows create. Bad rows fail alone.
    /// </summary>
    public async Task<BatchResult> BatchAsync(IEnumerable<JsonObject> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var body = new JsonObject { ["items"] = new JsonArray([.. items.Select(i => (JsonNode)i.DeepClone())]) };
        var o = (await _client.SendAsync(HttpMethod.Post, _path + "/batch", body, null, cancellationToken).ConfigureAwait(false)).Object;
        var results = o["results"] is JsonArray a ? a.OfType<JsonObject>().Select(BatchRowResult.From).ToList() : [];
        return new BatchResult((int)(Json.Long(o, "succeeded") ?? 0), (int)(Json.Long(o, "failed") ?? 0), results);
    }

    /// <summary>
    /// Creates up to 1,000 new records at once in the engine's bulk create (<c>POST /{resource}/batch?mode=create</c>):
    /// a row with the <c>id</c> of an existing record fails alone with 409 <c>exists</c> instead of updating it.
    /// </summary>
    public async Task<BatchResult> CreateManyAsync(IEnumerable<JsonObject> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var body = new JsonObject { ["items"] = new JsonArray([.. items.Select(i => (JsonNode)i.DeepClone())]) };
        var o = (await _client.SendAsync(HttpMethod.Post, _path + "/batch?mode=create", body, null, cancellationToken).ConfigureAwait(false)).Object;
        var results = o["results"] is JsonArray a ? a.OfType<JsonObject>().Select(BatchRowResult.From).ToList() : [];
        return new BatchResult((int)(Json.Long(o, "succeeded") ?? 0), (int)(Json.Long(o, "failed") ?? 0), results);
    }

    /// <summary>
    /// Creates the record with this external id, or updates the one that has it (<c>PUT /{resource}/by-external-id/{externalId}</c>).
    /// Contacts, accounts, deals and cases only.
    /// </summary>
    public async Task<UpsertResult> UpsertByExternalIdAsync(string externalId, JsonObject fields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var response = await _client.SendAsync(HttpMethod.Put, $"{_path}/by-external-id/{CrmHttpClient.Escape(externalId)}", fields, null, cancellationToken)
            .ConfigureAwait(false);
        return new UpsertResult(response.Record(), response.Status == HttpStatusCode.Created);
    }

    private string Item(string id) => _path + "/" + CrmHttpClient.Escape(id);

    private static Action<HttpRequestMessage>? IfMatch(string? etag) =>
        etag is null ? null : r => r.Headers.TryAddWithoutValidation("If-Match", etag);
}

/// <summary>What to list: full-text <see cref="Q"/>, a <see cref="Filter"/> in the filter language, order and paging.</summary>
public sealed record ListQuery
{
    /// <summary>Search text: every word must match as a token prefix; case and accents do not matter.</summary>
    public string? Q { get; init; }

    /// <summary>A filter expression, e.g. <c>lifecycleStage eq "lead" and createdAt ge now-30d</c> (docs/filters.md).</summary>
    public string? Filter { get; init; }

    /// <summary>A field to sort by; <c>-field</c> for descending.</summary>
    public string? Sort { get; init; }

    /// <summary>Page size, 1 to 1,000 (server default 50).</summary>
    public int? Limit { get; init; }

    /// <summary>The <see cref="ApiPage{T}.Next"/> cursor of the previous page.</summary>
    public string? Cursor { get; init; }

    /// <summary>Include deleted records (managers and admins).</summary>
    public bool IncludeDeleted { get; init; }
}

/// <summary>The answer of a batch: counts and one result per row, in row order.</summary>
public sealed record BatchResult(int Succeeded, int Failed, IReadOnlyList<BatchRowResult> Results);

/// <summary>One row of a batch: 201 created or 200 updated with the record's id and version, or a problem.</summary>
public sealed record BatchRowResult
{
    /// <summary>The row's index in the request.</summary>
    public required int Index { get; init; }
    public required int Status { get; init; }
    public string? Id { get; init; }
    public long? Version { get; init; }

    /// <summary>The problem type of a failed row, e.g. <c>urn:crm:problem:validation</c>.</summary>
    public string? ProblemType { get; init; }
    public string? Title { get; init; }
    public string? Detail { get; init; }

    /// <summary>For a 409 <c>duplicate</c> row, the record that holds the value.</summary>
    public string? ExistingId { get; init; }

    /// <summary>Field errors of a failed row.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Errors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>True for a created or updated row.</summary>
    public bool Succeeded => Status is >= 200 and < 300;

    internal static BatchRowResult From(JsonObject o) => new()
    {
        Index = (int)(Json.Long(o, "index") ?? -1),
        Status = (int)(Json.Long(o, "status") ?? 0),
        Id = Json.Str(o, "id"),
        Version = Json.Long(o, "version"),
        ProblemType = Json.Str(o, "type"),
        Title = Json.Str(o, "title"),
        Detail = Json.Str(o, "detail"),
        ExistingId = Json.Str(o, "existingId"),
        Errors = o["errors"] is JsonObject errors
            ? errors.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)(e.Value is JsonArray m ? [.. m.Select(x => x is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : x?.ToJsonString() ?? "")] : []))
            : new Dictionary<string, IReadOnlyList<string>>(),
    };
}

/// <summary>The answer of an upsert: the record, and whether it was created (201) rather than updated (200).</summary>
public sealed record UpsertResult(ApiRecord Record, bool Created);
