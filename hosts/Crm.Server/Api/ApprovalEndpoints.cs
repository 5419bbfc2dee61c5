using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Access;
using Crm.Engine.Domain;
using Crm.Engine.Filtering;
using Crm.Server.Auth;

namespace Crm.Server.Api;

/// <summary>Stage approvals of deals: approve or reject the pending one (managers and admins), list deals by approval status.</summary>
internal static class ApprovalEndpoints
{
    private static readonly string[] Statuses = [DealApproval.Pending, DealApproval.Approved, DealApproval.Rejected, DealApproval.Cancelled];

    public static void MapApprovals(this RouteGroupBuilder api)
    {
        api.MapPost("/deals/{id}/approval/approve", (CallerContext rc, string id) =>
            DecideAsync(rc, id, (comment, expected) => rc.Crm.ApproveStageAsync(id, comment, expected, rc.Write())))
            .WithTags("deals").WithName("approve-deal-stage").Accepts<JsonObject>("application/json");
        api.MapPost("/deals/{id}/approval/reject", (CallerContext rc, string id) =>
            DecideAsync(rc, id, (comment, expected) => rc.Crm.RejectStageAsync(id, comment, expected, rc.Write())))
            .WithTags("deals").WithName("reject-deal-stage").Accepts<JsonObject>("application/json");

        api.MapGet("/approvals", async (CallerContext rc, string? status, int? limit, string? cursor) =>
        {
            status ??= DealApproval.Pending;
            if (!Statuses.Contains(status)) throw new ValidationException("status", $"must be one of: {string.Join(", ", Statuses)}");
            if (limit is < 1 or > 1000) throw new ValidationException("limit", "must be between 1 and 1000");
            var filter = Filter.Eq("approval.status", status);
            var scope = AccessPolicy.Scope(rc.Principal, RecordTypes.Deal);
            var page = await rc.Crm.QueryAsync(RecordTypes.Deal, new RecordQuery
            {
                Filter = scope is null ? filter : filter & scope,
                SortBy = "approval.requestedAt",
                Limit = limit ?? 50,
                Cursor = string.IsNullOrEmpty(cursor) ? null : cursor,
            });
            return RecordJson.PageResult(page);
        }).WithTags("deals").WithName("list-approvals");
    }

    private static async Task<IResult> DecideAsync(CallerContext rc, string id, Func<string?, string?, Task<CrmRecord>> decide)
    {
        if (rc.Principal.Role < CrmRole.Manager)
        {
            throw new ForbiddenException($"Only managers and admins approve or reject deal stages; this key's role is {rc.Principal.Role.ToString().ToLowerInvariant()}.");
        }

        var body = await rc.ReadOptionalBodyAsync();
        var unknown = body.Select(p => p.Key).Except(["comment", "expectedRequestId"]).ToList();
        if (unknown.Count > 0) throw new ValidationException(unknown[0], "is not a field of an approval decision (comment, expectedRequestId)");
        var comment = ConsentEndpoints.OptionalString(body, "comment");
        var expected = ConsentEndpoints.OptionalString(body, "expectedRequestId");
        if (await rc.VisibleAsync(RecordTypes.Deal, id) is null) return Problems.NotFound(RecordTypes.Deal, id);
        return RecordJson.Result(await decide(comment, expected));
    }
}
