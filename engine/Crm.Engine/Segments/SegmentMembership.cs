using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Storage;

namespace Crm.Engine.Segments;

/// <summary>
/// Keeps segment membership current, once per cluster, as a log subscription. A change to a contact, account, deal
/// or case is checked against the tenant's segments of its type; a segment that is created, changed, restored or
/// deleted — or whose filter holds a relative time and whose refresh timer fired — is evaluated over every record.
/// Membership is written on the member as <c>record.segmentEntered</c> / <c>record.segmentLeft</c> (rules hear
/// <c>{type}.segmentEntered</c>), with effect keys, so a retry after a crash applies nothing twice.
/// </summary>
internal sealed class SegmentMembership(SegmentEvaluator evaluator, SegmentCatalog catalog) : ILogConsumer
{
    public const string SubscriptionName = "crm.segments";
    private const string CheckKind = "segment.check";
    private const string EvaluateKind = "segment.evaluate";
    private const string AccountKind = "segment.account";
    private static readonly string SegmentStreams = RecordTypes.Segment + "/";

    public string Name => SubscriptionName;

    public async Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken)
    {
        var outbox = new List<OutboxMessage>();
        var decided = new HashSet<(string Kind, string Tenant, string Stream)>();
        foreach (var e in events)
        {
            if (e.StreamId.StartsWith(SegmentStreams, StringComparison.Ordinal))
            {
                catalog.Forget(e.Tenant);
                if (!ChangesSegment(e) || !decided.Add((EvaluateKind, e.Tenant, e.StreamId))) continue;
                outbox.Add(Row(e, EvaluateKind, new JsonObject { ["segmentId"] = e.StreamId[SegmentStreams.Length..] }));
                continue;
            }

            var slash = e.StreamId.IndexOf('/');
            if (slash <= 0 || EventTypes.IsSegmentEvent(e.Type) || EventTypes.IsTimerEvent(e.Type)) continue;
            var type = e.StreamId[..slash];
            if (type == RecordTypes.Account && decided.Add((AccountKind, e.Tenant, e.StreamId))
                && (await catalog.AllOfTenantAsync(e.Tenant, cancellationToken)).Any(SegmentEvaluator.ReadsAccount))
            {
                // Segments of contacts, deals or cases that read this account's fields.
                outbox.Add(Row(e, AccountKind, new JsonObject { ["accountId"] = e.StreamId[(slash + 1)..] }, "account"));
            }

            if (!RecordSchema.SegmentRecordTypes.Contains(type) || !decided.Add((CheckKind, e.Tenant, e.StreamId))) continue;
            // Most tenants have no segment of most types: no row, no work.
            if ((await catalog.OfTypeAsync(e.Tenant, type, cancellationToken)).Count == 0) continue;
            outbox.Add(Row(e, CheckKind, new JsonObject { ["type"] = type, ["id"] = e.StreamId[(slash + 1)..] }));
        }

        return outbox;
    }

    /// <summary>Checks of one record run in order; a segment's evaluations run in order; the rest side by side.</summary>
    public string? OrderingKey(OutboxEntry entry)
    {
        var payload = JsonNode.Parse(entry.PayloadJson)!;
        return entry.Kind switch
        {
            EvaluateKind => entry.Tenant + "/" + SegmentStreams + (string?)payload["segmentId"],
            AccountKind => entry.Tenant + "/account-links/" + (string?)payload["accountId"],
            _ => entry.Tenant + "/" + (string?)payload["type"] + "/" + (string?)payload["id"],
        };
    }

    public Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var payload = JsonNode.Parse(entry.PayloadJson)!;
        return entry.Kind switch
        {
            CheckKind => evaluator.CheckRecordAsync(entry, (string)payload["type"]!, (string)payload["id"]!, cancellationToken),
            EvaluateKind => evaluator.EvaluateSegmentAsync(entry, (string)payload["segmentId"]!, cancellationToken),
            AccountKind => evaluator.CheckLinkedToAccountAsync(entry, (string)payload["accountId"]!, cancellationToken),
            _ => Task.CompletedTask,
        };
    }

    /// <summary>Events after which a segment's members must be worked out again.</summary>
    private static bool ChangesSegment(CrmEvent e) => e.Type switch
    {
        EventTypes.RecordCreated or EventTypes.RecordUpdated or EventTypes.RecordDeleted or EventTypes.RecordRestored => true,
        EventTypes.TimerFired => JsonNode.Parse(e.PayloadJson)?["name"]?.GetValue<string>() == SegmentEvaluator.RefreshTimer,
        _ => false,
    };

    private static OutboxMessage Row(CrmEvent e, string kind, JsonObject payload, string? keySuffix = null) => new()
    {
        Key = keySuffix is null ? e.EventId.ToString("N") : e.EventId.ToString("N") + "-" + keySuffix,
        Kind = kind,
        Tenant = e.Tenant,
        SourceEventId = e.EventId,
        PayloadJson = payload.ToJsonString(),
    };
}
