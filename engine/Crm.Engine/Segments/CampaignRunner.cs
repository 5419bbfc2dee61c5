using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Grains;
using Crm.Engine.Messaging;
using Crm.Engine.Storage;

namespace Crm.Engine.Segments;

/// <summary>
/// Runs campaigns, once per cluster, as a log subscription. A launch queues the campaign's message for each contact of
/// its segment through the outbound path (which checks consent and the suppression list per recipient and paces the
/// channel), a page at a time; each page is recorded on the campaign, so a run stopped by a crash resumes at the page it
/// was on, and each message carries the id <c>campaign:{campaign}:{contact}</c> as its effect key, so a contact queued
/// before the crash is not queued again. The outcomes of those messages are added up on the campaign as they come.
/// </summary>
internal sealed class CampaignRunner(ICrmClient crm, IGrainFactory grains) : ILogConsumer
{
    public const string SubscriptionName = "crm.campaigns";
    private const string RunKind = "campaign.run";
    private const string TallyKind = "campaign.tally";
    private const string MessagePrefix = "campaign:";
    private const int PageSize = 200;
    private const int Parallelism = 16;
    private static readonly string CampaignStreams = RecordTypes.Campaign + "/";

    public string Name => SubscriptionName;

    /// <summary>The id of the message a campaign sends a contact: the same on every attempt, and saying which campaign it belongs to.</summary>
    public static string MessageId(string campaignId, string contactId) => MessagePrefix + campaignId + ":" + contactId;

    public Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken)
    {
        var outbox = new List<OutboxMessage>();
        var tallies = new Dictionary<(string Tenant, string Campaign), (JsonObject Counts, Guid First)>();
        foreach (var e in events)
        {
            if (e.Type == EventTypes.CampaignLaunched && e.StreamId.StartsWith(CampaignStreams, StringComparison.Ordinal))
            {
                outbox.Add(Row(e.EventId, RunKind, e.Tenant, new JsonObject { ["campaignId"] = e.StreamId[CampaignStreams.Length..] }));
                continue;
            }

            if (e.Type is not (EventTypes.MessageSent or EventTypes.MessageBlocked or EventTypes.MessageFailed)) continue;
            var payload = JsonNode.Parse(e.PayloadJson)!;
            if (CampaignOf((string?)payload["messageId"]) is not { } campaignId) continue;
            if (!tallies.TryGetValue((e.Tenant, campaignId), out var tally))
            {
                tally = (new JsonObject { ["sent"] = 0L, ["failed"] = 0L, ["blocked"] = new JsonObject() }, e.EventId);
                tallies[(e.Tenant, campaignId)] = tally;
            }

            Count(tally.Counts, e.Type, (string?)payload["code"]);
        }

        // One tally row per campaign per run of events, named after its first outcome event.
        foreach (var ((tenant, campaignId), (counts, first)) in tallies)
        {
            counts["campaignId"] = campaignId;
            outbox.Add(Row(first, TallyKind, tenant, counts));
        }

        return Task.FromResult<IReadOnlyList<OutboxMessage>>(outbox);
    }

    /// <summary>A campaign's run and its tallies go one after another; different campaigns side by side.</summary>
    public string? OrderingKey(OutboxEntry entry) => entry.Tenant + "/" + CampaignStreams + (string?)JsonNode.Parse(entry.PayloadJson)!["campaignId"];

    public Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var payload = JsonNode.Parse(entry.PayloadJson)!.AsObject();
        var campaign = grains.GetGrain<ICampaignGrain>(RecordIds.GrainKey(entry.Tenant, (string)payload["campaignId"]!));
        if (entry.Kind == TallyKind)
        {
            payload.Remove("campaignId");
            return campaign.TallyAsync(payload.ToJsonString(), new WriteOptions { Actor = Actor.System, EffectKey = entry.EffectKey, CausationId = entry.SourceEventId?.ToString() });
        }

        return entry.Kind == RunKind ? RunAsync(entry, (string)payload["campaignId"]!, campaign, cancellationToken) : Task.CompletedTask;
    }

    private async Task RunAsync(OutboxEntry entry, string campaignId, ICampaignGrain campaign, CancellationToken cancellationToken)
    {
        var client = crm.ForTenant(entry.Tenant, Actor.System);
        var record = await client.GetAsync(RecordTypes.Campaign, campaignId, cancellationToken: cancellationToken);
        if (record is null) return;
        var segmentId = record.GetString("segmentId")!;
        var request = new MessageRequest
        {
            Channel = record.GetString("channel")!,
            Purpose = record.GetString("purpose")!,
            Subject = record.GetString("subject"),
            Body = record.GetString("body") ?? "",
            Html = record.GetString("html"),
            DataJson = new JsonObject { ["campaign"] = new JsonObject { ["id"] = campaignId, ["name"] = record.GetString("name") } }.ToJsonString(),
        };

        while (true)
        {
            var run = await campaign.GetRunAsync();
            if (run.Status != CampaignProgress.Running) return;
            var page = await client.QueryAsync(RecordTypes.Contact,
                new RecordQuery { Filter = SegmentFilter.Members(segmentId), SortBy = "id", Cursor = run.Cursor, Limit = PageSize }, cancellationToken);
            await Parallel.ForEachAsync(page.Items, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (contact, token) =>
                {
                    var messageId = MessageId(campaignId, contact.Id);
                    try
                    {
                        await client.Messages.SendAsync(contact.Id, request with { MessageId = messageId },
                            new WriteOptions { Actor = Actor.System, EffectKey = messageId, CausationId = entry.SourceEventId?.ToString() }, token);
                    }
                    catch (RecordNotFoundException)
                    {
                        // Deleted since the page was read: nobody to send to.
                    }
                    catch (ValidationException)
                    {
                        // This contact's data does not fill the template (its fields are checked at launch): skipped.
                    }
                });
            // Pages are numbered from the run's start, so recording one twice (a retry after a crash) adds nothing.
            await campaign.RecordPageAsync(run.Page, page.Items.Count, page.Next,
                new WriteOptions { Actor = Actor.System, EffectKey = $"{entry.EffectKey}/page/{run.Page}", CausationId = entry.SourceEventId?.ToString() });
            if (page.Next is null) return;
        }
    }

    private static string? CampaignOf(string? messageId)
    {
        if (messageId is null || !messageId.StartsWith(MessagePrefix, StringComparison.Ordinal)) return null;
        var end = messageId.IndexOf(':', MessagePrefix.Length);
        return end > MessagePrefix.Length ? messageId[MessagePrefix.Length..end] : null;
    }

    private static void Count(JsonObject counts, string type, string? code)
    {
        switch (type)
        {
            case EventTypes.MessageSent:
                counts["sent"] = (long)counts["sent"]! + 1;
                break;
            case EventTypes.MessageFailed:
                counts["failed"] = (long)counts["failed"]! + 1;
                break;
            default:
                var blocked = counts["blocked"]!.AsObject();
                var key = code ?? "other";
                blocked[key] = ((long?)blocked[key] ?? 0L) + 1L;
                break;
        }
    }

    private static OutboxMessage Row(Guid eventId, string kind, string tenant, JsonObject payload) => new()
    {
        Key = eventId.ToString("N"),
        Kind = kind,
        Tenant = tenant,
        SourceEventId = eventId,
        PayloadJson = payload.ToJsonString(),
    };
}
