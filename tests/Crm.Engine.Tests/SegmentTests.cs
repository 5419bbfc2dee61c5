using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Segments;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Engine.Tests;

/// <summary>Segments: saved filters whose members the engine keeps current as records change, and as time passes.</summary>
public sealed class SegmentTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _crm = await CrmTestEngine.StartAsync(
        configure: o =>
        {
            o.Coordination.TimeProvider = _clock;
            o.Segments.RefreshInterval = TimeSpan.FromSeconds(1);
        },
        // One fake clock for the engine (what "now" is to records and filters) and for the timer scheduler.
        services: s => s.AddSingleton<TimeProvider>(_clock).AddCrmRule<TagNewSegmentMembers>(),
        cancellationToken: Ct);

    public ValueTask DisposeAsync() => _crm.DisposeAsync();

    /// <summary>Tags a contact that enters a segment with the segment's id: segment membership as a rule trigger.</summary>
    private sealed class TagNewSegmentMembers : CrmRule
    {
        public override string Id => "tag-segment-members";
        public override string On => "contact.segmentEntered";
        public override void Then(RuleEvent e, IRuleActions act) => act.AddTag("in-" + (string)e.Payload["segmentId"]!);
    }

    private ICrmClient NewTenant() => _crm.ForTenant("t" + Guid.NewGuid().ToString("N")[..12], Actor.User("marketer"));

    private static async Task<CrmRecord> ContactAsync(ICrmClient crm, string name, string stage) =>
        await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = name, ["lifecycleStage"] = stage });

    private static async Task<string[]> MembersAsync(ICrmClient crm, string segmentId)
    {
        var page = await crm.Segments.MembersAsync(segmentId, limit: 100);
        return [.. page.Items.Select(r => r.GetString("firstName")!).Order()];
    }

    private static Task MembersBecomeAsync(ICrmClient crm, string segmentId, params string[] names) =>
        Eventually.TrueAsync(async () => (await MembersAsync(crm, segmentId)).SequenceEqual(names.Order()));

    [Fact]
    public async Task Members_follow_record_changes_with_counts_and_each_change_is_in_the_members_history()
    {
        var crm = NewTenant();
        var ada = await ContactAsync(crm, "Ada", "lead");
        var bob = await ContactAsync(crm, "Bob", "customer");
        var cy = await ContactAsync(crm, "Cy", "lead");

        var leads = await crm.CreateAsync(RecordTypes.Segment, new JsonObject
        {
            ["name"] = "Open leads", ["recordType"] = "contact", ["filter"] = "lifecycleStage eq \"lead\"",
        });

        // Records that already match join when the segment is saved.
        await MembersBecomeAsync(crm, leads.Id, "Ada", "Cy");
        Assert.Equal(2, await crm.Segments.CountAsync(leads.Id));

        await crm.UpdateAsync(RecordTypes.Contact, bob.Id, new JsonObject { ["lifecycleStage"] = "lead" });
        await crm.UpdateAsync(RecordTypes.Contact, ada.Id, new JsonObject { ["lifecycleStage"] = "customer" });
        await crm.DeleteAsync(RecordTypes.Contact, cy.Id);
        await MembersBecomeAsync(crm, leads.Id, "Bob");
        Assert.Equal(1, await crm.Segments.CountAsync(leads.Id));

        var adaNow = (await crm.GetAsync(RecordTypes.Contact, ada.Id))!;
        Assert.Null(adaNow.Fields["segments"]);
        var history = (await crm.GetHistoryAsync(RecordTypes.Contact, ada.Id)).Items;
        var entered = history.Single(e => e.Type == "record.segmentEntered");
        var left = history.Single(e => e.Type == "record.segmentLeft");
        Assert.True(entered.Version < left.Version);
        Assert.Equal(leads.Id, (string?)JsonNode.Parse(left.PayloadJson)!["segmentId"]);
        Assert.Equal(Actor.System, left.Actor);
        // Membership is bookkeeping, not a change of the contact: updatedAt stays at her last real change.
        Assert.Equal(history.Last(e => e.Type == "record.updated").Time, adaNow.UpdatedAt);

        var bobNow = (await crm.GetAsync(RecordTypes.Contact, bob.Id))!;
        Assert.Equal([leads.Id], bobNow.Fields["segments"]!.AsArray().Select(n => (string)n!));
        // Filters see membership too.
        var inSegment = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Filter = Filter.Compare("segments", FilterOperator.Contains, leads.Id) });
        Assert.Equal([bob.Id], inSegment.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Changing_a_segments_filter_re_evaluates_it_and_deleting_it_empties_it()
    {
        var crm = NewTenant();
        await ContactAsync(crm, "Ada", "lead");
        await ContactAsync(crm, "Bob", "customer");
        var segment = await crm.CreateAsync(RecordTypes.Segment, new JsonObject
        {
            ["name"] = "Pipeline", ["recordType"] = "contact", ["filter"] = "lifecycleStage eq \"lead\"",
        });
        await MembersBecomeAsync(crm, segment.Id, "Ada");

        await crm.UpdateAsync(RecordTypes.Segment, segment.Id, new JsonObject { ["filter"] = "lifecycleStage in (\"lead\", \"customer\")" });
        await MembersBecomeAsync(crm, segment.Id, "Ada", "Bob");

        await crm.DeleteAsync(RecordTypes.Segment, segment.Id);
        await Eventually.TrueAsync(async () =>
            await crm.CountAsync(RecordTypes.Contact, new RecordQuery { Filter = SegmentFilter.Members(segment.Id) }) == 0);
        await Assert.ThrowsAsync<RecordNotFoundException>(() => crm.Segments.CountAsync(segment.Id));
    }

    [Fact]
    public async Task A_segment_can_read_the_linked_accounts_fields_and_follows_changes_to_the_account()
    {
        var crm = NewTenant();
        var soft = await crm.CreateAsync(RecordTypes.Account, new JsonObject { ["name"] = "Soft", ["industry"] = "Software" });
        var shop = await crm.CreateAsync(RecordTypes.Account, new JsonObject { ["name"] = "Shop", ["industry"] = "Retail" });
        await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Ada", ["accountId"] = soft.Id });
        var bob = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Bob", ["accountId"] = shop.Id });
        var segment = await crm.CreateAsync(RecordTypes.Segment, new JsonObject
        {
            ["name"] = "People at software companies", ["recordType"] = "contact", ["filter"] = "account.industry eq \"Software\"",
        });
        await MembersBecomeAsync(crm, segment.Id, "Ada");

        // The account changes, not the contact: its contacts are checked again.
        await crm.UpdateAsync(RecordTypes.Account, shop.Id, new JsonObject { ["industry"] = "Software" });
        await MembersBecomeAsync(crm, segment.Id, "Ada", "Bob");
        await crm.UpdateAsync(RecordTypes.Account, soft.Id, new JsonObject { ["industry"] = "Consulting" });
        await MembersBecomeAsync(crm, segment.Id, "Bob");
        await crm.UpdateAsync(RecordTypes.Contact, bob.Id, new JsonObject { ["accountId"] = soft.Id });
        await MembersBecomeAsync(crm, segment.Id);
    }

    [Fact]
    public async Task Entering_a_segment_triggers_rules()
    {
        var crm = NewTenant();
        var ada = await ContactAsync(crm, "Ada", "mql");
        var segment = await crm.CreateAsync(RecordTypes.Segment, new JsonObject
        {
            ["name"] = "Marketing qualified", ["recordType"] = "contact", ["filter"] = "lifecycleStage eq \"mql\"",
        });

        await Eventually.TrueAsync(async () =>
            (await crm.GetAsync(RecordTypes.Contact, ada.Id))!.Fields["tags"] is JsonArray tags && tags.Any(t => (string?)t == "in-" + segment.Id));
    }

    [Fact]
    public async Task A_segment_with_a_relative_time_is_evaluated_again_as_time_passes()
    {
        var crm = NewTenant();
        var segment = await crm.CreateAsync(RecordTypes.Segment, new JsonObject
        {
            ["name"] = "Signed up in the last hour", ["recordType"] = "contact", ["filter"] = "createdAt ge now-1h",
        });
        await ContactAsync(crm, "Ada", "subscriber");
        await MembersBecomeAsync(crm, segment.Id, "Ada");
        // Ada joins through her own check; the segment's first evaluation sets its refresh timer, perhaps a moment later.
        await Eventually.TrueAsync(async () => (await crm.GetTimersAsync(RecordTypes.Segment, segment.Id)).Any(t => t.Name == SegmentEvaluator.RefreshTimer));

        // Nothing about Ada changes; the clock alone takes her out, at a refresh.
        _clock.Advance(TimeSpan.FromMinutes(61));
        await Eventually.TrueAsync(async () =>
        {
            await _crm.LetTheSchedulerScanAsync(_clock);
            return (await MembersAsync(crm, segment.Id)).Length == 0;
        });
    }

    [Fact]
    public async Task A_segment_needs_a_valid_filter_and_a_record_type_it_can_select()
    {
        var crm = NewTenant();

        var bad = await Assert.ThrowsAsync<ValidationException>(() => crm.CreateAsync(RecordTypes.Segment, new JsonObject
        {
            ["name"] = "Broken", ["recordType"] = "contact", ["filter"] = "lifecycleStage eq",
        }));
        var wrongType = await Assert.ThrowsAsync<ValidationException>(() => crm.CreateAsync(RecordTypes.Segment, new JsonObject
        {
            ["name"] = "Tasks", ["recordType"] = "task", ["filter"] = "status eq \"open\"",
        }));

        Assert.Contains(bad.Errors, e => e.Field == "filter" && e.Message.StartsWith("is not a valid filter", StringComparison.Ordinal));
        Assert.Contains(wrongType.Errors, e => e.Field == "recordType");
        Assert.Equal(0, await crm.CountAsync(RecordTypes.Segment, new RecordQuery()));
    }

    [Fact]
    public async Task A_filter_can_be_counted_before_it_is_saved()
    {
        var crm = NewTenant();
        await ContactAsync(crm, "Ada", "lead");
        await ContactAsync(crm, "Bob", "lead");
        await ContactAsync(crm, "Cy", "customer");

        Assert.Equal(2, await crm.Segments.PreviewCountAsync("contact", "lifecycleStage eq \"lead\""));
        Assert.Equal("filter", (await Assert.ThrowsAsync<ValidationException>(() => crm.Segments.PreviewCountAsync("contact", "(("))).Errors.Single().Field);
    }
}
