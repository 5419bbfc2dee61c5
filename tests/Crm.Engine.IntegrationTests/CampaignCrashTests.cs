using Crm.Engine.CrashHost;
using Crm.Engine.Testing;

namespace Crm.Engine.IntegrationTests;

/// <summary>Killing the process while a campaign runs: after a restart every member gets the message, once, but for sends in flight.</summary>
public sealed class CampaignCrashTests
{
    private const int Members = 500;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_campaign_interrupted_by_a_kill_resumes_without_sending_anyone_the_message_twice_but_in_flight_sends()
    {
        using var directory = new TempDataDirectory();
        IReadOnlyList<Ack> expected;
        await using (var host = CrashHostProcess.Start(CrashHostMode.Campaign, directory.Path, writers: Members))
        {
            await host.WaitForAcksAsync(Members, Patience);
            expected = host.Acks;
            await Eventually.TrueAsync(() => Task.FromResult(MessageCrashTests.Sent(directory.Path).Length >= 10), Patience, "the campaign to start sending");
            await host.KillAsync(Patience);
        }

        var beforeRestart = MessageCrashTests.Sent(directory.Path).Length;
        Assert.True(beforeRestart < Members, $"all {beforeRestart} messages went out before the kill; the test did not kill mid-way");

        await using (var host = CrashHostProcess.Start(CrashHostMode.Campaign, directory.Path, writers: Members))
        {
            await host.WaitUntilReadyAsync(Patience);
            await Eventually.TrueAsync(() => Task.FromResult(MessageCrashTests.Sent(directory.Path).Distinct().Count() >= Members), Patience, "every member's message to go out");
            await host.KillAsync(Patience);
        }

        var sent = MessageCrashTests.Sent(directory.Path);
        Assert.Equal(expected.Select(a => a.Marker).Order(), sent.Distinct().Order());
        var repeats = sent.GroupBy(s => s).Where(g => g.Count() > 1).ToList();
        Assert.All(repeats, g => Assert.Equal(2, g.Count()));
        Assert.True(repeats.Count <= 32, $"{repeats.Count} messages went out twice");

        // Each member's message was queued once, and the campaign counted each once.
        await using var engine = await CrmTestEngine.StartAsync(directory.Path, cancellationToken: TestContext.Current.CancellationToken);
        var campaignId = expected[0].Stream.Split('/')[1];
        var campaign = (await engine.Client.GetAsync(RecordTypes.Campaign, campaignId))!;
        Assert.Equal("completed", campaign.GetString("status"));
        Assert.Equal(Members, (long)campaign.Fields["queued"]!);
        foreach (var ack in expected.Take(50))
        {
            var contactId = ack.Marker.Split(':')[2];
            var requests = (await engine.Client.GetHistoryAsync(RecordTypes.Contact, contactId)).Items.Count(e => e.Type == "contact.messageRequested");
            Assert.Equal(1, requests);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{beforeRestart} sent before the kill, {sent.Length} sends in all, {repeats.Count} repeated.");
    }
}
