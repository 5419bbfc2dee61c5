using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>Stage approvals of deals: approve or reject the pending one (managers and admins), list deals by approval status.</summary>
public sealed class CrmApprovals
{
    private readonly CrmHttpClient _client;

    internal CrmApprovals(CrmHttpClient client) => _client = client;

    /// <summary>
    /// Approves the deal's pending stage approval (<c>POST /deals/{id}/approval/approve</c>): the deal enters the held
    /// stage. With <paramref name="expectedRequestId"/>, another pending request answers 409 instead.
    /// </summary>
    public Task<ApiRecord> ApproveAsync(string dealId, string? comment = null, string? expectedRequestId = null, CancellationToken cancellationToken = default) =>
        DecideAsync(dealId, "approve", comment, expectedRequestId, cancellationToken);

    /// <summary>Rejects the deal's pending stage approval (<c>POST /deals/{id}/approval/reject</c>); the deal stays in its stage.</summary>
    public Task<ApiRecord> RejectAsync(string dealId, string? comment = null, string? expectedRequestId = null, CancellationToken cancellationToken = default) =>
        DecideAsync(dealId, "reject", comment, expectedRequestId, cancellationToken);

    /// <summary>One page of deals whose latest approval has <paramref name="status"/> (pending, approved, rejected, cancelled), oldest request first.</summary>
    public async Task<ApiPage<ApiRecord>> ListAsync(string status = "pending", int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var path = CrmHttpClient.Query("api/v1/approvals", ("status", status), ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor));
        return (await _client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false)).Page(o => new ApiRecord(o));
    }

    /// <summary>Every deal whose latest approval has <paramref name="status"/>, page after page.</summary>
    public async IAsyncEnumerable<ApiRecord> ListAllAsync(string status = "pending", [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await ListAsync(status, 1000, cursor, cancellationToken).ConfigureAwait(false);
            foreach (var deal in page.Items) yield return deal;
            cursor = page.Next;
        }
        while (cursor is not null);
    }

    private async Task<ApiRecord> DecideAsync(string dealId, string decision, string? comment, string? expectedRequestId, CancellationToken cancellationToken)
    {
        var body = new JsonObject();
        if (comment is not null) body["comment"] = comment;
        if (expectedRequestId is not null) body["expectedRequestId"] = expectedRequestId;
        var path = $"api/v1/deals/{CrmHttpClient.Escape(dealId)}/approval/{decision}";
        return (await _client.SendAsync(HttpMethod.Post, path, body, null, cancellationToken).ConfigureAwait(false)).Record();
    }
}
