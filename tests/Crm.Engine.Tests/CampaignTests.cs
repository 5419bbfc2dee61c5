using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Crm.Engine.Messaging;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Engine.Tests;

/// <summary>Campaigns: a template sent to a segment's contacts through the outbound path, each at most once, with counts of what became of them.</summary>
public sealed class CampaignTests : IAsyncLifetime
{
    private readonly RecordingConnector _email = new();
    private CrmTestEngine _crm = null!;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(
        services: s => s.AddSingleton<IMessageConnector>(_email),
        cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _crm.DisposeAsync();

    private sealed class RecordingConnector : IMessageConnector
    {
        public string Channel => Channels.Email;
        public ConcurrentQueue<OutboundMessage> Sent { get; } = new();

        public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Sent.Enqueue(message);
            return Task.CompletedTask;
        }
    }

    private ICrmClient NewTenant() => _crm.ForTenant("t" + Guid.NewGuid().ToString("N")[..12], Actor.User("marketer"));

    private static async Task<CrmRecord> ContactAsync(ICrmClient crm, string name, ConsentStatus? consent, string? email = null)
    {
        var contact = await crm.CreateAsync(RecordTypes.Contact, new JsonObject
        {
            ["firstName"] = name, ["email"] = email ?? name.ToLowerInvariant() + "@example.com", ["lifecycleStage"] = "customer",
        });
        if (consent is { } status)
        {
            await crm.SetConsentAsync(contact.Id, new ConsentChange { Purpose = "newsletter", Channel = "email", Status = status, Source = "signup form" });
        }

        return contact;
    }

    private static async Task<CrmRecord> SegmentAsync(ICrmClient crm, int expectedMembers)
    {
        var segment = await crm.CreateAsync(RecordTypes.Segment, new JsonObject
        {
            ["name"] = "Customers", ["recordType"] = "contact", ["filter"] = "lifecycleStage eq \"customer\"",
        });
        await Eventually.TrueAsync(async () => await crm.Segments.CountAsync(segment.Id) == expectedMembers);
        return segment;
    }

    private static Task<CrmRecord> CampaignAsync(ICrmClient crm, string segmentId, string body = "Hello {{ contact.firstName }}, news from {{ data.campaign.name }}.") =>
        crm.CreateAsync(RecordTypes.Campaign, new JsonObject
        {
            ["name"] = "Spring news", ["segmentId"] = segmentId, ["channel"] = "email", ["purpose"] = "newsletter",
            ["subject"] = "Spring news for {{ contact.firstName }}", ["body"] = body,
        });

    [Fact]
    public async Task A_campaign_sends_its_template_to_each_consenting_member_once_and_counts_what_was_skipped_and_why()
    {
        var crm = NewTenant();
        var ada = await ContactAsync(crm, "Ada", ConsentStatus.Granted);
        var bob = await ContactAsync(crm, "Bob", ConsentStatus.Granted);
        await ContactAsync(crm, "Cy", consent: null);
        await ContactAsync(crm, "Dee", ConsentStatus.Withdrawn);
        await ContactAsync(crm, "Eve", ConsentStatus.Granted);
        await crm.Messages.SuppressAsync("email", "eve@example.com", "hard bounce");
        var segment = await SegmentAsync(crm, 5);
        var campaign = await CampaignAsync(crm, segment.Id);

        var launched = await crm.Campaigns.LaunchAsync(campaign.Id);
        Assert.Equal("running", launched.GetString("status"));

        CrmRecord? done = null;
        await Eventually.TrueAsync(async () =>
        {
            done = await crm.GetAsync(RecordTypes.Campaign, campaign.Id);
            return done!.GetString("status") == "completed" && (long)done.Fields["sent"]! + (long)done.Fields["blocked"]! == 5;
        });
        Assert.Equal(5, (long)done!.Fields["queued"]!);
        Assert.Equal(2, (long)done.Fields["sent"]!);
        Assert.Equal(0, (long)done.Fields["failed"]!);
        Assert.Equal(2, (long)done.Fields["blockedByReason"]![BlockedCodes.NoConsent]!);
        Assert.Equal(1, (long)done.Fields["blockedByReason"]![BlockedCodes.Suppressed]!);

        var mine = _email.Sent.Where(m => m.Tenant == crm.Tenant).ToList();
        Assert.Equal([ada.Id, bob.Id], mine.Select(m => m.ContactId).Order());
        var toAda = mine.Single(m => m.ContactId == ada.Id);
        Assert.Equal("Spring news for Ada", toAda.Subject);
        Assert.Equal("Hello Ada, news from Spring news.", toAda.Body);
        Assert.Equal($"campaign:{campaign.Id}:{ada.Id}", toAda.MessageId);

        // Launching again is refused: a campaign runs once.
        var again = await Assert.ThrowsAsync<ValidationException>(() => crm.Campaigns.LaunchAsync(campaign.Id));
        Assert.Equal("status", again.Errors.Single().Field);
    }

    [Fact]
    public async Task A_campaign_is_checked_at_launch_and_its_counts_are_the_engines_to_keep()
    {
        var crm = NewTenant();
        await ContactAsync(crm, "Ada", ConsentStatus.Granted);
        var segment = await SegmentAsync(crm, 1);
        var accounts = await crm.CreateAsync(RecordTypes.Segment, new JsonObject { ["name"] = "Big accounts", ["recordType"] = "account", ["filter"] = "size gt 1000" });

        var broken = await CampaignAsync(crm, segment.Id, body: "Hello {{ contact.firstName ");
        var ofAccounts = await CampaignAsync(crm, accounts.Id);
        var badPurpose = await crm.CreateAsync(RecordTypes.Campaign, new JsonObject
        {
            ["name"] = "Odd", ["segmentId"] = segment.Id, ["channel"] = "email", ["purpose"] = "no-such-purpose", ["body"] = "Hi",
        });

        Assert.Equal("body", (await Assert.ThrowsAsync<ValidationException>(() => crm.Campaigns.LaunchAsync(broken.Id))).Errors.Single().Field);
        Assert.Equal("segmentId", (await Assert.ThrowsAsync<ValidationException>(() => crm.Campaigns.LaunchAsync(ofAccounts.Id))).Errors.Single().Field);
        Assert.Equal("purpose", (await Assert.ThrowsAsync<ValidationException>(() => crm.Campaigns.LaunchAsync(badPurpose.Id))).Errors.Single().Field);
        var written = await Assert.ThrowsAsync<ValidationException>(() => crm.UpdateAsync(RecordTypes.Campaign, broken.Id, new JsonObject { ["sent"] = 1000 }));
        Assert.Equal("sent", written.Errors.Single().Field);
        Assert.Equal("draft", (await crm.GetAsync(RecordTypes.Campaign, broken.Id))!.GetString("status"));

        var cancelled = await crm.Campaigns.CancelAsync(broken.Id);
        Assert.Equal("cancelled", cancelled.GetString("status"));
        Assert.DoesNotContain(_email.Sent, m => m.Tenant == crm.Tenant);
    }
}
