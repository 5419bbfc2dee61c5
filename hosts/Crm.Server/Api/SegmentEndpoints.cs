using Crm.Engine;
using Crm.Engine.Segments;
using Crm.Server.Auth;

namespace Crm.Server.Api;

/// <summary>
/// Segments and campaigns beyond their CRUD (which <c>/segments</c> and <c>/campaigns</c> have like every record
/// resource): a segment's members, its member count and a count of what a filter selects before it is saved; a
/// campaign's launch and cancellation.
/// </summary>
internal static class SegmentEndpoints
{
    public static void MapSegments(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/segments").WithTags("segments");

        // Members the caller may see: an agent sees the members it owns (or nobody owns), as in every list.
        g.MapGet("/{id}/members", async (CallerContext rc, string id, string? cursor, int? limit) =>
        {
            if (limit is < 1 or > 1000) throw new ValidationException("limit", "must be between 1 and 1000");
            var type = await RecordTypeAsync(rc, id);
            var query = new RecordQuery { Filter = Scoped(rc, type, id), Cursor = string.IsNullOrEmpty(cursor) ? null : cursor, Limit = limit ?? 50 };
            return RecordJson.PageResult(await rc.Crm.QueryAsync(type, query));
        }).WithName("segment-members");

        g.MapGet("/{id}/count", async (CallerContext rc, string id) =>
        {
            var type = await RecordTypeAsync(rc, id);
            var count = await rc.Crm.CountAsync(type, new RecordQuery { Filter = Scoped(rc, type, id) });
            return Results.Json(new { segmentId = id, recordType = type, count });
        }).WithName("segment-count");

        g.MapPost("/preview", async (CallerContext rc) =>
        {
            var body = await rc.ReadBodyAsync();
            var type = Text(body, "recordType");
            var filter = Text(body, "filter");
            return Results.Json(new { recordType = type, count = await rc.Crm.Segments.PreviewCountAsync(type, filter) });
        }).WithName("segment-preview");

        var campaigns = api.MapGroup("/campaigns").WithTags("campaigns");
        campaigns.MapPost("/{id}/launch", async (CallerContext rc, string id) =>
        {
            rc.EnsureCanWrite(RecordTypes.Campaign);
            return RecordJson.Result(await rc.Crm.Campaigns.LaunchAsync(id));
        }).WithName("launch-campaign");
        campaigns.MapPost("/{id}/cancel", async (CallerContext rc, string id) =>
        {
            rc.EnsureCanWrite(RecordTypes.Campaign);
            return RecordJson.Result(await rc.Crm.Campaigns.CancelAsync(id));
        }).WithName("cancel-campaign");
    }

    private static string Text(System.Text.Json.Nodes.JsonObject body, string field) =>
        body[field] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new ValidationException(field, "is required and must be a string");

    private static async Task<string> RecordTypeAsync(CallerContext rc, string id)
    {
        var segment = await rc.Crm.GetAsync(RecordTypes.Segment, id) ?? throw new RecordNotFoundException(RecordTypes.Segment, id);
        return segment.GetString("recordType") ?? RecordTypes.Contact;
    }

    private static Filter Scoped(CallerContext rc, string type, string segmentId) =>
        AccessPolicy.Scope(rc.Principal, type) is { } scope ? SegmentFilter.Members(segmentId) & scope : SegmentFilter.Members(segmentId);
}
