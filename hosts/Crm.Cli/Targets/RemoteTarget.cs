using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Cli.Targets;

/// <summary>A running Crm.Server, through the typed REST client and an API key.</summary>
internal sealed class RemoteTarget : ICrmTarget, IRemoteTarget
{
    private static readonly HashSet<string> ServerOnly = ["version", "createdAt", "updatedAt", "deleted", "links"];
    private const int MaxBatch = 1000;
    private readonly HttpClient _http;

    private RemoteTarget(HttpClient http, CrmHttpClient client, string tenant)
    {
        _http = http;
        Client = client;
        Tenant = tenant;
    }

    public string Description => $"server {_http.BaseAddress}";

    public string Tenant { get; }

    public CrmHttpClient Client { get; }

    /// <summary>Connects and asks the server who the key is (a wrong URL or key fails here, with the server's answer).</summary>
    public static async Task<RemoteTarget> ConnectAsync(Uri url, string key, CancellationToken cancellationToken)
    {
        var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(5) };
        try
        {
            var client = new CrmHttpClient(http, key);
            var me = await client.GetMeAsync(cancellationToken);
            return new RemoteTarget(http, client, me.Tenant);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public async Task<StoredRecord?> GetAsync(string type, string id, CancellationToken cancellationToken)
    {
        var records = Client.Records(Resource(type));
        var live = await records.TryGetAsync(id, cancellationToken: cancellationToken);
        if (live is not null) return ToStored(live);
        // A deleted record answers 404 by id; a list with deleted ones tells it apart from one that never existed.
        var page = await records.ListAsync(new ListQuery { Filter = $"id eq {JsonSerializer.Serialize(id)}", IncludeDeleted = true, Limit = 1 }, cancellationToken);
        return page.Items.Count == 0 ? null : ToStored(page.Items[0]);
    }

    public async Task<StoredRecord> CreateAsync(string type, string id, JsonObject fields, CancellationToken cancellationToken)
    {
        var body = (JsonObject)fields.DeepClone();
        body["id"] = id;
        try
        {
            return ToStored(await Client.Records(Resource(type)).CreateAsync(body, cancellationToken: cancellationToken));
        }
        catch (CrmApiException ex) when ((int)ex.StatusCode is >= 400 and < 500 && ex.StatusCode != HttpStatusCode.TooManyRequests)
        {
            throw Refused(ex);
        }
    }

    public async Task<IReadOnlyList<CreateOutcome>> CreateManyAsync(string type, IReadOnlyList<(string Id, JsonObject Fields)> rows, CancellationToken cancellationToken)
    {
        var outcomes = new List<CreateOutcome>(rows.Count);
        foreach (var chunk in rows.Chunk(MaxBatch))
        {
            var answer = await Client.Records(Resource(type)).CreateManyAsync(chunk.Select(r =>
            {
                var body = (JsonObject)r.Fields.DeepClone();
                body["id"] = r.Id;
                return body;
            }), cancellationToken);
            if (answer.Results.Count != chunk.Length) throw new FormatException("The server answered a batch with another number of rows.");
            outcomes.AddRange(answer.Results.OrderBy(r => r.Index).Select((r, i) => r.Succeeded
                ? new CreateOutcome(new StoredRecord(r.Id ?? chunk[i].Id, r.Version ?? 1, false, chunk[i].Fields), null)
                : new CreateOutcome(null, Refused(r))));
        }

        return outcomes;
    }

    public async Task<StoredRecord> UpdateAsync(string type, string id, JsonObject patch, CancellationToken cancellationToken)
    {
        try
        {
            return ToStored(await Client.Records(Resource(type)).PatchAsync(id, patch, cancellationToken: cancellationToken));
        }
        catch (CrmApiException ex) when ((int)ex.StatusCode is >= 400 and < 500 && ex.StatusCode != HttpStatusCode.TooManyRequests)
        {
            throw Refused(ex);
        }
    }

    public async IAsyncEnumerable<JsonObject> ListAsync(string type, string? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = new ListQuery { Filter = string.IsNullOrWhiteSpace(filter) ? null : filter, Limit = 1000 };
        await foreach (var record in Client.Records(Resource(type)).ListAllAsync(query, cancellationToken))
        {
            yield return Fields(record);
        }
    }

    public async Task<IReadOnlyList<(string Name, string Type)>> CustomFieldsAsync(string type, CancellationToken cancellationToken)
    {
        var settings = await Client.Settings.GetAsync(cancellationToken: cancellationToken);
        if (settings["customFields"] is not JsonArray fields) return [];
        return [.. fields.OfType<JsonObject>()
            .Where(f => Str(f, "recordType") == type && Str(f, "name") is not null)
            .Select(f => (Str(f, "name")!, Str(f, "type") ?? "Text"))];
    }

    /// <summary>Posts JSON to a route the typed client does not cover (e.g. <c>api/v1/rules/backtest</c>) and answers the JSON object.</summary>
    public async Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Client.ApiKey);
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new CrmApiException(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
        return JsonNode.Parse(text) as JsonObject ?? throw new FormatException("The server's answer is not a JSON object.");
    }

    public Task ReleaseIdleRecordsAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The REST resource of a record type: <c>contact</c> → <c>contacts</c>.</summary>
    internal static string Resource(string type) => type + "s";

    private static StoredRecord ToStored(ApiRecord record) => new(record.Id, record.Version, record.Deleted, Fields(record));

    private static JsonObject Fields(ApiRecord record)
    {
        var fields = (JsonObject)record.Fields.DeepClone();
        foreach (var name in ServerOnly) fields.Remove(name);
        return fields;
    }

    private static TargetWriteException Refused(CrmApiException ex)
    {
        var reasons = ex.Errors.Count > 0
            ? ex.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")).ToList()
            : [ex.Detail ?? ex.Title ?? ex.Message];
        var existing = ex.Problem?["existingId"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        return new TargetWriteException(ex.Code ?? "error", ex.Message, reasons, existing);
    }

    private static TargetWriteException Refused(BatchRowResult row)
    {
        var code = row.ProblemType is { } t && t.StartsWith(ProblemTypes.Prefix, StringComparison.Ordinal) ? t[ProblemTypes.Prefix.Length..] : row.ProblemType ?? "error";
        var message = row.Detail ?? row.Title ?? $"status {row.Status}";
        var reasons = row.Errors.Count > 0 ? row.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")).ToList() : [message];
        return new TargetWriteException(code, message, reasons, row.ExistingId);
    }

    private static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
