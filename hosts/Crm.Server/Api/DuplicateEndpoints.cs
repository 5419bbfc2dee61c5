using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Server.Auth;

namespace Crm.Server.Api;

/// <summary>Duplicate detection (per record and tenant-wide) and the contact merge.</summary>
internal static class DuplicateEndpoints
{
    private static readonly Dictionary<string, string> Types = new()
    {
        ["contacts"] = RecordTypes.Contact,
        ["accounts"] = RecordTypes.Account,
    };

    public static void MapDuplicates(this RouteGroupBuilder api)
    {
        foreach (var (resource, type) in Types)
        {
            api.MapGet($"/{resource}/{{id}}/duplicates", (CallerContext rc, string id) => FindAsync(rc, type, id))
                .WithTags(resource).WithName($"duplicates-of-{type}");
            api.MapGet($"/duplicates/{resource}", (CallerContext rc, string? cursor, int? limit) => ScanAsync(rc, type, cursor, limit))
                .WithTags(resource).WithName($"scan-duplicates-{type}");
        }

        api.MapPost("/contacts/{id}/merge", (CallerContext rc, string id) => MergeAsync(rc, id))
            .WithTags("contacts").WithName("merge-contact").Accepts<JsonObject>("application/json");
    }

    private static async Task<IResult> FindAsync(CallerContext rc, string type, string id)
    {
        if (await rc.VisibleAsync(type, id) is not { } record || record.Id != id) return Problems.NotFound(type, id);
        var candidates = await rc.Crm.FindDuplicatesAsync(type, id);
        return Results.Json(new JsonObject
        {
            ["items"] = new JsonArray([.. candidates.Where(c => AccessPolicy.CanSee(rc.Principal, c.Record)).Select(c => (JsonNode)ToJson(c))]),
        });
    }

    private static async Task<IResult> ScanAsync(CallerContext rc, string type, string? cursor, int? limit)
    {
        var page = await rc.Crm.ScanDuplicatesAsync(type, string.IsNullOrEmpty(cursor) ? null : cursor, limit ?? 100);
        var items = page.Items
            .Where(p => AccessPolicy.CanSee(rc.Principal, p.Record) && AccessPolicy.CanSee(rc.Principal, p.Candidate.Record))
            .Select(p => (JsonNode)new JsonObject { ["record"] = RecordJson.ToJson(p.Record), ["candidate"] = ToJson(p.Candidate) });
        return Results.Json(new JsonObject { ["items"] = new JsonArray([.. items]), ["next"] = page.Next });
    }

    private static async Task<IResult> MergeAsync(CallerContext rc, string id)
    {
        rc.EnsureCanWrite(RecordTypes.Contact);
        var body = await rc.ReadBodyAsync();
        if (body["mergeId"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>().Length == 0)
        {
            throw new ValidationException("mergeId", "is required: the id of the contact to merge into this one");
        }

        var mergeId = v.GetValue<string>();
        if (mergeId == id) throw new ValidationException("mergeId", "a contact cannot be merged into itself");
        if (await rc.VisibleAsync(RecordTypes.Contact, id, includeDeleted: true) is null) return Problems.NotFound(RecordTypes.Contact, id);
        if (Crm.Engine.Domain.RecordIds.IsValid(mergeId) && await rc.VisibleAsync(RecordTypes.Contact, mergeId, includeDeleted: true) is null)
        {
            foreach (var (resource, type) in RecordEndpoints.Resources)
            {
                if (type != RecordTypes.Contact && await rc.VisibleAsync(type, mergeId) is not null)
                {
                    throw new ValidationException("mergeId", $"'{mergeId}' is a {type}, not a contact; only contacts merge with contacts");
                }
            }

            throw new ValidationException("mergeId", $"no contact with id '{mergeId}'");
        }

        var result = await rc.Crm.MergeAsync(RecordTypes.Contact, id, mergeId, rc.Write());
        rc.Changed(RecordTypes.Contact, id);
        rc.Changed(RecordTypes.Contact, mergeId);
        return Results.Json(new JsonObject
        {
            ["survivor"] = RecordJson.ToJson(result.Survivor),
            ["mergedId"] = result.MergedId,
            ["filledFields"] = new JsonArray([.. result.FilledFields.Select(f => (JsonNode)f)]),
            ["conflicts"] = new JsonArray([.. result.Conflicts.Select(c => (JsonNode)new JsonObject { ["field"] = c.Field, ["kept"] = c.Kept, ["discarded"] = c.Discarded })]),
            ["moved"] = new JsonArray([.. result.Moved.Select(m => (JsonNode)m)]),
            ["consentTaken"] = result.ConsentTaken,
        });
    }

    private static JsonObject ToJson(DuplicateCandidate c) => new()
    {
        ["record"] = RecordJson.ToJson(c.Record),
        ["score"] = c.Score,
        ["reasons"] = new JsonArray([.. c.Reasons.Select(r => (JsonNode)r)]),
    };
}
