using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Grains;

/// <summary>
/// A campaign: a message to a segment's contacts. Launching checks it and records the launch; the campaign runner
/// (a log subscription) queues the messages page by page and records each page here, so a run resumes where it stopped.
/// </summary>
internal sealed class CampaignGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<CampaignGrain> logger)
    : RecordGrain(RecordTypes.Campaign, store, settings, time, logger), ICampaignGrain
{
    public async Task<CrmRecord> LaunchAsync(WriteOptions options)
    {
        await EnsureLoadedAsync();
        EnsureLive();
        var segmentId = State.GetString("segmentId") ?? throw new ValidationException("segmentId", "is required");
        var segment = await GrainFactory.GetGrain<ISegmentGrain>(RecordIds.GrainKey(Tenant, segmentId)).GetAsync(null);
        if (segment is null || segment.Deleted) throw new ValidationException("segmentId", $"no segment '{segmentId}'");
        if (segment.GetString("recordType") != RecordTypes.Contact) throw new ValidationException("segmentId", "must be a segment of contacts");
        return await ExecuteAsync(options, (batch, s) =>
        {
            EnsureLive();
            if (State.Campaign.Status != CampaignProgress.Draft) throw new ValidationException("status", $"the campaign is {State.Campaign.Status}; only a draft can be launched");
            if (ConsentPurposeCheck.Unknown(s, State.GetString("purpose")) is { } unknown) throw new ValidationException([unknown]);

            // The templates must parse (a contact's own fields are filled in when its message is queued).
            var sample = new JsonObject();
            Messaging.MessageTemplates.Render(State.GetString("subject"), "subject", sample, sample, 2_000);
            Messaging.MessageTemplates.Render(State.GetString("body"), "body", sample, sample, int.MaxValue);
            Messaging.MessageTemplates.Render(State.GetString("html"), "html", sample, sample, int.MaxValue);
            batch.Add(EventTypes.CampaignLaunched, new JsonObject { ["segmentId"] = segmentId });
        });
    }

    public Task<CrmRecord> CancelAsync(WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            EnsureLive();
            if (State.Campaign.Status is not (CampaignProgress.Draft or CampaignProgress.Running))
            {
                throw new ValidationException("status", $"the campaign is {State.Campaign.Status} already");
            }

            batch.Add(EventTypes.CampaignCancelled, []);
        });

    public async Task<CampaignRun> GetRunAsync()
    {
        await EnsureLoadedAsync();
        var progress = State.Campaign;
        return new CampaignRun(State.Deleted ? CampaignProgress.Cancelled : progress.Status, progress.Cursor, progress.Pages);
    }

    public Task<CrmRecord> RecordPageAsync(int page, int queued, string? nextCursor, WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            // A page recorded already (a retry after a crash) or a run that stopped: nothing to add.
            if (State.Campaign.Status != CampaignProgress.Running || State.Campaign.Pages != page) return;
            batch.Add(EventTypes.CampaignProgressed, new JsonObject { ["page"] = page, ["queued"] = queued, ["cursor"] = nextCursor });
            if (nextCursor is null) batch.Add(EventTypes.CampaignCompleted, []);
        });

    public Task<CrmRecord> TallyAsync(string countsJson, WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            if (!State.Exists) return;
            batch.Add(EventTypes.CampaignTallied, ParseObject(countsJson));
        });
}
