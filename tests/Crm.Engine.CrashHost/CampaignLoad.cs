using System.Text.Json.Nodes;
using Crm.Engine.Testing;

namespace Crm.Engine.CrashHost;

/// <summary>
/// A campaign to a segment of <c>--writers</c> consenting contacts, sent through a connector that writes each message id
/// to <c>sent.log</c> (as <see cref="MessageLoad"/>). The first run sets it all up and launches the campaign, printing one
/// ACK per contact with the message id the campaign will send it; a later run on the same directory only carries on.
/// </summary>
internal static class CampaignLoad
{
    public const string LaunchedMarker = "campaign.launched";

    public static async Task<int> RunAsync(CrashHostArguments arguments, CancellationToken stop)
    {
        // Slow enough that the test kills the host while most messages still wait.
        await using var engine = await MessageLoad.StartSendingEngineAsync(arguments, ratePerSecond: 40, stop);
        HostOutput.Print(HostOutput.Ready);

        var marker = Path.Combine(arguments.DataDirectory, LaunchedMarker);
        if (!File.Exists(marker))
        {
            var crm = engine.Client;
            var contacts = new List<string>();
            for (var i = 0; i < arguments.Writers; i++)
            {
                var contact = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Reader" + i, ["email"] = $"reader{i}@example.com", ["lifecycleStage"] = "customer" });
                await crm.SetConsentAsync(contact.Id, new ConsentChange { Purpose = "newsletter", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "crash test" });
                contacts.Add(contact.Id);
            }

            var segment = await crm.CreateAsync(RecordTypes.Segment, new JsonObject { ["name"] = "Readers", ["recordType"] = "contact", ["filter"] = "lifecycleStage eq \"customer\"" });
            while (await crm.Segments.CountAsync(segment.Id, stop) < arguments.Writers) await Task.Delay(20, stop);
            var campaign = await crm.CreateAsync(RecordTypes.Campaign, new JsonObject
            {
                ["name"] = "Issue 1", ["segmentId"] = segment.Id, ["channel"] = Channels.Email, ["purpose"] = "newsletter", ["body"] = "Hello {{ contact.firstName }}",
            });
            await crm.Campaigns.LaunchAsync(campaign.Id);
            foreach (var id in contacts) HostOutput.Acknowledged($"{RecordTypes.Campaign}/{campaign.Id}", 0, $"campaign:{campaign.Id}:{id}");
            await File.WriteAllTextAsync(marker, campaign.Id, stop);
        }

        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return 0;
    }
}
