using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Access;
using Crm.Engine.Filtering;
using Crm.Server.Auth;
using Microsoft.Extensions.Options;

namespace Crm.Server.Api;

/// <summary>CRUD, list, history, timeline, links, batch and upsert routes of one record resource.</summary>
internal static class RecordEndpoints
{
    /// <summary>Resource names under <c>/api/v1</c> and their record types.</summary>
    public static readonly IReadOnlyDictionary<string, string> Resources = new Dictionary<string, string>
    {
        ["contacts"] = RecordTypes.Contact,
        ["accounts"] = RecordTypes.Account,
        ["deals"] = RecordTypes.Deal,
        ["cases"] = RecordTypes.Case,
        ["interactions"] = RecordTypes.Interaction,
        ["tasks"] = RecordTypes.Task,
        ["users"] = RecordTypes.User,
        ["teams"] = RecordTypes.Team,
        ["queues"] = RecordTypes.Queue,
        ["segments"] = RecordTypes.Segment,
        ["campaigns"] = RecordTypes.Campaign,
    };

    private const int MaxBatch = 1000;

    public static void MapRecordResource(this RouteGroupBuilder api, string resource, string type)
    {
        var g = api.MapGroup("/" + resource).WithTags(resource);
        g.MapPost("/", (HttpContext http, CallerContext rc) => CreateAsync(http, rc, resource, type)).WithName($"create-{type}").Accepts<JsonObject>("application/json");
        g.MapGet("/", (HttpContext http, CallerContext rc, string? q, string? filter, string? sort, int? limit, string? cursor, bool? includeDeleted, bool? total) =>
            ListAsync(http, rc, type, q, filter, sort, limit, cursor, includeDeleted, total)).WithName($"list-{type}");
        g.MapGet("/{id}", (HttpContext http, CallerContext rc, string id, string? asOf) => GetAsync(http, rc, resource, type, id, asOf)).WithName($"get-{type}");
        g.MapPatch("/{id}", (HttpContext http, CallerContext rc, string id) => UpdateAsync(http, rc, type, id)).WithName($"update-{type}").Accepts<JsonObject>("application/merge-patch+json", "application/json");
        g.MapDelete("/{id}", (HttpContext http, CallerContext rc, string id) => DeleteAsync(http, rc, type, id)).WithName($"delete-{type}");
        g.MapPost("/{id}/restore", (HttpContext http, CallerContext rc, string id) => RestoreAsync(rc, type, id)).WithName($"restore-{type}");
        g.MapGet("/{id}/history", (CallerContext rc, string id, string? cursor, int? limit) => HistoryAsync(rc, type, id, cursor, limit)).WithName($"history-{type}");
        g.MapGet("/{id}/timeline", (CallerContext rc, string id, string? cursor, int? limit) => TimelineAsync(rc, type, id, cursor, limit)).WithName($"timeline-{type}");
        g.MapPost("/{id}/links", (HttpContext http, CallerContext rc, string id) => LinkAsync(http, rc, type, id)).WithName($"link-{type}").Accepts<JsonObject>("application/json");
        g.MapDelete("/{id}/links/{targetType}/{targetId}", (CallerContext rc, string id, string targetType, string targetId) =>
            UnlinkAsync(rc, type, id, targetType, targetId)).WithName($"unlink-{type}");
        g.MapTimers(type);
        g.MapPost("/batch", (HttpContext http, CallerContext rc) => BatchAsync(http, rc, type)).WithName($"batch-{type}").Accepts<JsonObject>("application/json");
        if (Domain.HasExternalId(type))
        {
            g.MapPut("/by-external-id/{externalId}", (HttpContext http, CallerContext rc, string externalId) =>
                UpsertByExternalIdAsync(http, rc, resource, type, externalId)).WithName($"upsert-{type}").Accepts<JsonObject>("application/json");
        }
    }

    private static async Task<IResult> CreateAsync(HttpContext http, CallerContext rc, string resource, string type)
    {
        rc.EnsureCanWrite(type);
        var body = await rc.ReadBodyAsync();
        var id = body["id"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
            _ => throw new ValidationException("id", "must be a string"),
        };
        body = RecordJson.WithoutReadOnly(body);
        rc.ApplyOwnership(type, body, creating: true);

        var idempotencyKey = http.Request.Headers["Idempotency-Key"].ToString();
        if (string.IsNullOrEmpty(idempotencyKey))
        {
            var created = await rc.Crm.CreateAsync(type, body, id, rc.Write());
            return Created(http, resource, created);
        }

        if (idempotencyKey.Length > 200) throw new ValidationException("Idempotency-Key", "must be at most 200 characters");
        // The key decides the record id, so a retry cannot make a second record; the causation id remembers the body.
        id ??= "i" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rc.Principal.Tenant + "\n" + idempotencyKey)))[..31];
        var causation = $"idempotency:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..16]}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body.ToJsonString())))[..32]}";
        try
        {
            var created = await rc.Crm.CreateAsync(type, body, id, rc.Write() with { CausationId = causation });
            return Created(http, resource, created);
        }
        catch (RecordExistsException)
        {
            var first = (await rc.Crm.GetHistoryAsync(type, id, limit: 1)).Items.FirstOrDefault();
            if (first?.CausationId != causation)
            {
                return Problems.Result(422, "idempotency_mismatch", "Idempotency key reused",
                    "This Idempotency-Key was used before with a different request body.");
            }

            var original = await rc.Crm.GetIncludingDeletedAsync(type, id, first.Time);
            return Created(http, resource, original!);
        }
    }

    private static IResult Created(HttpContext http, string resource, CrmRecord record)
    {
        http.Response.Headers.ETag = RecordJson.ETag(record.Version);
        return RecordJson.Result(record, StatusCodes.Status201Created, $"/api/v1/{resource}/{Uri.EscapeDataString(record.Id)}");
    }

    private static async Task<IResult> ListAsync(HttpContext http, CallerContext rc, string type, string? q, string? filter, string? sort, int? limit, string? cursor, bool? includeDeleted, bool? total)
    {
        if (limit is < 1 or > 1000) throw new ValidationException("limit", "must be between 1 and 1000");
        if (q is { Length: > 500 }) throw new ValidationException("q", "must be at most 500 characters");
        var parsed = string.IsNullOrWhiteSpace(filter) ? null : FilterLanguage.Parse(filter, DateTimeOffset.UtcNow);
        var scope = AccessPolicy.Scope(rc.Principal, type);
        var combined = (parsed, scope) switch
        {
            (null, null) => null,
            (null, _) => scope,
            (_, null) => parsed,
            _ => parsed & scope!,
        };
        var descending = sort?.StartsWith('-') == true;
        var sortBy = sort?.TrimStart('-', '+');
        if (includeDeleted == true && rc.Principal.Role < CrmRole.Manager) return Problems.Forbidden("Only managers and admins list deleted records.");
        var query = new RecordQuery
        {
            Text = string.IsNullOrWhiteSpace(q) ? null : q,
            Filter = combined,
            SortBy = string.IsNullOrEmpty(sortBy) ? null : sortBy,
            Descending = descending,
            Limit = limit ?? 50,
            Cursor = string.IsNullOrEmpty(cursor) ? null : cursor,
            IncludeDeleted = includeDeleted == true,
        };
        var page = await rc.Crm.QueryAsync(type, query);
        // ?total=true: how many records the query selects in all, not only this page.
        return RecordJson.PageResult(page, total == true ? await rc.Crm.CountAsync(type, query) : null);
    }

    private static async Task<IResult> GetAsync(HttpContext http, CallerContext rc, string resource, string type, string id, string? asOf)
    {
        var time = RecordJson.ParseTime(asOf, "asOf");
        var record = await rc.Crm.GetAsync(type, id, time);
        if (record is null || !AccessPolicy.CanSee(rc.Principal, record)) return Problems.NotFound(type, id);
        if (record.Id != id)
        {
            // Merged into another record: a permanent redirect to the survivor (the tombstone's history stays at its own id).
            var location = $"/api/v1/{resource}/{Uri.EscapeDataString(record.Id)}{http.Request.QueryString}";
            http.Response.Headers.Location = location;
            return Results.Json(new JsonObject { ["id"] = id, ["mergedInto"] = record.Id, ["location"] = location }, statusCode: StatusCodes.Status308PermanentRedirect);
        }

        http.Response.Headers.ETag = RecordJson.ETag(record.Version);
        return RecordJson.Result(record);
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, CallerContext rc, string type, string id)
    {
        rc.EnsureCanWrite(type);
        var expected = RecordJson.ParseIfMatch(http.Request);
        var body = RecordJson.WithoutReadOnly(await rc.ReadBodyAsync());
        if (await rc.VisibleAsync(type, id) is null) return Problems.NotFound(type, id);
        rc.ApplyOwnership(type, body, creating: false);
        var updated = await rc.Crm.UpdateAsync(type, id, body, rc.Write(expected));
        rc.Changed(type, id);
        http.Response.Headers.ETag = RecordJson.ETag(updated.Version);
        return RecordJson.Result(updated);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, CallerContext rc, string type, string id)
    {
        rc.EnsureCanWrite(type);
        if (await rc.VisibleAsync(type, id) is null) return Problems.NotFound(type, id);
        await rc.Crm.DeleteAsync(type, id, rc.Write(RecordJson.ParseIfMatch(http.Request)));
        rc.Changed(type, id);
        return Results.NoContent();
    }

    private static async Task<IResult> RestoreAsync(CallerContext rc, string type, string id)
    {
        rc.EnsureCanWrite(type);
        var record = await rc.Crm.GetIncludingDeletedAsync(type, id);
        if (record is null || !AccessPolicy.CanSee(rc.Principal, record)) return Problems.NotFound(type, id);
        var restored = await rc.Crm.RestoreAsync(type, id, rc.Write());
        rc.Changed(type, id);
        return RecordJson.Result(restored);
    }

    private static async Task<IResult> HistoryAsync(CallerContext rc, string type, string id, string? cursor, int? limit)
    {
        var record = await rc.Crm.GetIncludingDeletedAsync(type, id);
        if (record is null || !AccessPolicy.CanSee(rc.Principal, record)) return Problems.NotFound(type, id);
        var page = await rc.Crm.GetHistoryAsync(type, id, cursor, limit ?? 100);
        return Results.Json(RecordJson.Page(page, RecordJson.ToJson));
    }

    private static async Task<IResult> TimelineAsync(CallerContext rc, string type, string id, string? cursor, int? limit)
    {
        // A merged (or deleted) record's timeline stays readable, like its history.
        if (await rc.VisibleAsync(type, id, includeDeleted: true) is null) return Problems.NotFound(type, id);
        var page = await rc.Crm.GetTimelineAsync(type, id, cursor, limit ?? 50);
        // Linked records the caller may not see are left out of the timeline, events and all.
        var visible = new Dictionary<string, bool>(StringComparer.Ordinal);
        var items = new List<CrmEvent>();
        foreach (var e in page.Items)
        {
            if (!visible.TryGetValue(e.StreamId, out var ok))
            {
                var slash = e.StreamId.IndexOf('/');
                ok = slash < 0 || await rc.VisibleAsync(e.StreamId[..slash], e.StreamId[(slash + 1)..], includeDeleted: true) is not null;
                visible[e.StreamId] = ok;
            }

            if (ok) items.Add(e);
        }

        return Results.Json(RecordJson.Page(new Page<CrmEvent>(items, page.Next), RecordJson.ToJson));
    }

    private static async Task<IResult> LinkAsync(HttpContext http, CallerContext rc, string type, string id)
    {
        rc.EnsureCanWrite(type);
        var body = await rc.ReadBodyAsync();
        var targetType = body["type"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? body["type"]!.GetValue<string>() : null;
        var targetId = body["id"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? body["id"]!.GetValue<string>() : null;
        var role = body["role"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? body["role"]!.GetValue<string>() : null;
        if (targetType is null) throw new ValidationException("type", "is required: the linked record's type, e.g. contact");
        if (targetId is null) throw new ValidationException("id", "is required: the linked record's id");
        if (Resources.TryGetValue(targetType, out var singular)) targetType = singular;
        if (await rc.VisibleAsync(type, id) is null) return Problems.NotFound(type, id);
        if (RecordTypes.IsKnown(targetType) && Crm.Engine.Domain.RecordIds.IsValid(targetId) && await rc.VisibleAsync(targetType, targetId) is null)
        {
            throw new ValidationException("id", $"no {targetType} with id '{targetId}'");
        }

        var linked = await rc.Crm.LinkAsync(type, id, new RecordLink(targetType, targetId, role), rc.Write());
        return RecordJson.Result(linked);
    }

    private static async Task<IResult> UnlinkAsync(CallerContext rc, string type, string id, string targetType, string targetId)
    {
        rc.EnsureCanWrite(type);
        if (Resources.TryGetValue(targetType, out var singular)) targetType = singular;
        if (await rc.VisibleAsync(type, id) is null) return Problems.NotFound(type, id);
        return RecordJson.Result(await rc.Crm.UnlinkAsync(type, id, targetType, targetId, rc.Write()));
    }

    private static async Task<IResult> UpsertByExternalIdAsync(HttpContext http, CallerContext rc, string resource, string type, string externalId)
    {
        rc.EnsureCanWrite(type);
        var body = RecordJson.WithoutReadOnly(await rc.ReadBodyAsync());
        body["externalId"] = externalId;
        for (var attempt = 0; ; attempt++)
        {
            var existing = await rc.Crm.FindAsync(type, "externalId", externalId);
            if (existing is not null)
            {
                if (!AccessPolicy.CanSee(rc.Principal, existing)) return Problems.NotFound(type, externalId);
                rc.ApplyOwnership(type, body, creating: false);
                var updated = await rc.Crm.UpdateAsync(type, existing.Id, body, rc.Write());
                http.Response.Headers.ETag = RecordJson.ETag(updated.Version);
                return RecordJson.Result(updated);
            }

            rc.ApplyOwnership(type, body, creating: true);
            try
            {
                return Created(http, resource, await rc.Crm.CreateAsync(type, body, null, rc.Write()));
            }
            catch (DuplicateRecordException dup) when (dup.Field == "externalId" && attempt == 0)
            {
                // Another request created it a moment ago: update that one instead.
            }
        }
    }

    private static async Task<IResult> BatchAsync(HttpContext http, CallerContext rc, string type)
    {
        rc.EnsureCanWrite(type);
        var body = await rc.ReadBodyAsync();
        if (body["items"] is not JsonArray items) throw new ValidationException("items", "must be an array of records");
        if (items.Count > MaxBatch) throw new ValidationException("items", $"at most {MaxBatch} records per batch (got {items.Count})");

        var mode = http.Request.Query["mode"].ToString();
        if (mode is not ("" or "upsert" or "create")) throw new ValidationException("mode", "must be upsert (the default) or create");
        var createOnly = mode == "create";

        // New records go to the engine's bulk create together: rows without a version whose id is not repeated in the
        // batch (all rows with mode=create).
        var results = new JsonNode?[items.Count];
        var groups = Enumerable.Range(0, items.Count)
            .GroupBy(i => items[i] is JsonObject o && o["id"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? "id:" + v.GetValue<string>() : "row:" + i)
            .ToList();
        var bulk = groups.Where(g => createOnly || g.Count() == 1).SelectMany(g => g)
            .Where(i => items[i] is JsonObject o && (createOnly || !o.ContainsKey("version"))
                && (o["id"] is null || o["id"]!.GetValueKind() == System.Text.Json.JsonValueKind.String))
            .Order().ToList();
        var rows = new List<(int Index, string? Id, JsonObject Fields)>(bulk.Count);
        foreach (var i in bulk)
        {
            try
            {
                var row = RecordJson.WithoutReadOnly((JsonObject)items[i]!.DeepClone());
                rc.ApplyOwnership(type, row, creating: true);
                rows.Add((i, (string?)items[i]!["id"], row));
            }
            catch (Exception ex) when (Problems.Describe(ex) is { } problem)
            {
                results[i] = problem;
            }
        }

        if (rows.Count > 0)
        {
            var created = await rc.Crm.CreateManyAsync(type, [.. rows.Select(r => r.Fields)], [.. rows.Select(r => r.Id)], rc.Write());
            for (var r = 0; r < rows.Count; r++)
            {
                var (i, id, _) = rows[r];
                // In upsert mode a row naming an id that failed to create (it exists, or the fields alone do not make a
                // whole record) takes the one-by-one path, which updates the record when there is one.
                if (created[r].Record is { } record) results[i] = new JsonObject { ["status"] = 201, ["id"] = record.Id, ["version"] = record.Version };
                else if (createOnly || id is null) results[i] = Problems.Describe(created[r].Error!);
            }
        }

        // The other rows run in parallel, except that rows naming the same id run one after another, in their order.
        var rest = groups.Select(g => g.Where(i => results[i] is null).ToList()).Where(g => g.Count > 0).ToList();
        await Parallel.ForEachAsync(rest, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (group, _) =>
        {
            foreach (var i in group) results[i] = await BatchRowAsync(rc, type, items[i]);
        });
        var ok = results.Count(r => r!["status"]!.GetValue<int>() < 300);
        return Results.Json(new JsonObject
        {
            ["succeeded"] = ok,
            ["failed"] = items.Count - ok,
            ["results"] = new JsonArray([.. results.Select((r, i) => { r!["index"] = i; return r; })]),
        });
    }

    private static async Task<JsonNode> BatchRowAsync(CallerContext rc, string type, JsonNode? item)
    {
        try
        {
            if (item is not JsonObject row) throw new ValidationException("items", "each item must be a JSON object");
            row = (JsonObject)row.DeepClone();
            var id = row["id"] switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
                _ => throw new ValidationException("id", "must be a string"),
            };
            var expected = row["version"] is JsonValue ver && ver.TryGetValue<long>(out var n) ? n : (long?)null;
            row = RecordJson.WithoutReadOnly(row);
            var existing = id is null ? null : await rc.Crm.GetIncludingDeletedAsync(type, id);
            if (existing is not null)
            {
                if (existing.Deleted || !AccessPolicy.CanSee(rc.Principal, existing)) throw new RecordNotFoundException(type, id!);
                rc.ApplyOwnership(type, row, creating: false);
                var updated = await rc.Crm.UpdateAsync(type, id!, row, rc.Write(expected));
                rc.Changed(type, id!);
                return new JsonObject { ["status"] = 200, ["id"] = updated.Id, ["version"] = updated.Version };
            }

            rc.ApplyOwnership(type, row, creating: true);
            var created = await rc.Crm.CreateAsync(type, row, id, rc.Write());
            return new JsonObject { ["status"] = 201, ["id"] = created.Id, ["version"] = created.Version };
        }
        catch (Exception ex) when (Problems.Describe(ex) is { } problem)
        {
            return problem;
        }
    }
}

/// <summary>Which record types carry an external id (and so an upsert route).</summary>
internal static class Domain
{
    public static bool HasExternalId(string type) =>
        type is RecordTypes.Contact or RecordTypes.Account or RecordTypes.Deal or RecordTypes.Case;
}
