using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

internal static class TestData
{
    public static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Every record of a resource the client may list, deleted ones too when <paramref name="includeDeleted"/>.</summary>
    public static Task<List<ApiRecord>> AllAsync(this CrmRecords records, string? filter = null, bool includeDeleted = false, string? q = null) =>
        records.ListAllAsync(new ListQuery { Filter = filter, IncludeDeleted = includeDeleted, Q = q, Limit = 1000 }, Cancel).ToListAsync(Cancel).AsTask();

    public static async Task<List<string>> IdsAsync(this CrmRecords records, string? filter = null, string? q = null) =>
        [.. (await records.AllAsync(filter, q: q)).Select(r => r.Id)];

    /// <summary>How many records of each resource the tenant holds, deleted ones included: to prove nothing was written.</summary>
    public static async Task<string> FingerprintAsync(this CrmHttpClient admin)
    {
        var parts = new List<string>();
        foreach (var resource in CrmHttpClient.ResourceNames)
        {
            var all = await admin.Records(resource).AllAsync(includeDeleted: true);
            parts.Add($"{resource}={all.Count}@{all.Sum(r => r.Version)}");
        }

        parts.Add("keys=" + (await admin.Keys.ListAsync(Cancel)).Count(k => k.RevokedAt is null));
        parts.Add("settings=" + (await admin.Settings.GetAsync(cancellationToken: Cancel)).ToJsonString());
        return string.Join("; ", parts);
    }

    public static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;
}
