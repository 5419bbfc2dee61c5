using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Storage;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Engine.Tests;

/// <summary>The sample rules that wait: the 4-hour escalation and the Monday pipeline review, on a fake scheduler clock.</summary>
public sealed class SampleScheduleTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "crm-schedules-" + Guid.NewGuid().ToString("N"));
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _crm = await CrmTestEngine.StartAsync(_directory, o => o.Coordination.TimeProvider = _clock, cancellationToken: Ct);

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private Task LetTheSchedulerScanAsync() => _crm.LetTheSchedulerScanAsync(_clock);

    [Fact]
    public async Task An_unresolved_case_is_escalated_after_four_hours_and_a_resolved_one_is_not()
    {
        await SampleRules.SaveAsync(_crm.Client, "escalation-clock", "escalation-stop", "escalate-unresolved");
        var open = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "VPN down" });
        var solved = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "New mouse" });
        await Eventually.TrueAsync(async () =>
            (await _crm.Client.GetTimersAsync(RecordTypes.Case, open.Id)).Any(t => t.Name == "escalate")
            && (await _crm.Client.GetTimersAsync(RecordTypes.Case, solved.Id)).Any(t => t.Name == "escalate"));
        var timer = (await _crm.Client.GetTimersAsync(RecordTypes.Case, open.Id)).Single(t => t.Name == "escalate");
        Assert.Equal(open.CreatedAt.AddHours(4), timer.DueAt);

        await _crm.Client.UpdateAsync(RecordTypes.Case, solved.Id, new JsonObject { ["status"] = "resolved" });
        Assert.DoesNotContain(await _crm.Client.GetTimersAsync(RecordTypes.Case, solved.Id), t => t.Name == "escalate");

        _clock.SetUtcNow(timer.DueAt);
        await Eventually.TrueAsync(async () => (string?)(await _crm.Client.GetAsync(RecordTypes.Case, open.Id))!.Fields["priority"] == "urgent");
        await LetTheSchedulerScanAsync();
        Assert.Equal("normal", (string?)(await _crm.Client.GetAsync(RecordTypes.Case, solved.Id))!.Fields["priority"]);
        Assert.Single((await _crm.Client.GetHistoryAsync(RecordTypes.Case, open.Id)).Items, e => e.Type == "timer.fired");
    }

    [Fact]
    public async Task The_weekly_review_runs_on_monday_at_nine_in_the_tenants_time_zone_once_per_week()
    {
        await _crm.Client.ChangeSettingsAsync(new GeneralSettingsChange { TimeZone = "America/New_York" });
        await SampleRules.SaveAsync(_crm.Client, "weekly-pipeline-review");

        var timers = await _crm.Store.Coordination.GetTimersOfStreamAsync(_crm.Client.Tenant, StreamIds.Rules, Ct);
        var due = Assert.Single(timers).DueAt;
        var local = TimeZoneInfo.ConvertTime(due, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));
        Assert.Equal((DayOfWeek.Monday, 9, 0), (local.DayOfWeek, local.Hour, local.Minute));
        Assert.True(due > _clock.GetUtcNow() && due <= _clock.GetUtcNow().AddDays(7));

        await LetTheSchedulerScanAsync();
        Assert.Empty((await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery())).Items);

        _clock.SetUtcNow(due);
        await Eventually.TrueAsync(async () => (await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery())).Items.Count == 1);
        var task = Assert.Single((await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery())).Items);
        Assert.Equal("Weekly pipeline review", (string?)task.Fields["title"]);

        // The next occurrence is a week later; the one that fired is gone.
        await Eventually.TrueAsync(async () =>
            (await _crm.Store.Coordination.GetTimersOfStreamAsync(_crm.Client.Tenant, StreamIds.Rules, Ct)).SingleOrDefault()?.DueAt == due.AddDays(7));
        await LetTheSchedulerScanAsync();
        Assert.Single((await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery())).Items);

        // Disabling the rule takes its timer away.
        await _crm.Client.Rules.DisableAsync("weekly-pipeline-review");
        Assert.Empty(await _crm.Store.Coordination.GetTimersOfStreamAsync(_crm.Client.Tenant, StreamIds.Rules, Ct));
    }

    [Fact]
    public async Task A_missed_first_response_fires_the_breach_rule_once_even_across_a_restart()
    {
        await _crm.Client.ChangeSettingsAsync(new GeneralSettingsChange { BusinessHours = [] }); // open round the clock
        await _crm.Client.DefineSlaTargetAsync(new SlaTarget { QueueId = SlaTarget.AnyQueue, FirstResponseMinutes = 60 });
        await SampleRules.SaveAsync(_crm.Client, "sla-breach");
        var late = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Invoice wrong" });
        var answered = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Login help" });
        await _crm.Client.RecordCaseResponseAsync(answered.Id);
        var due = DateTimeOffset.Parse((string)late.Fields["sla"]!["firstResponse"]!["dueAt"]!, System.Globalization.CultureInfo.InvariantCulture);

        await _crm.RestartAsync(Ct);
        _clock.SetUtcNow(due.AddSeconds(1));

        var urgent = await EventuallyAsync(late.Id, c => (string?)c.Fields["priority"] == "urgent");
        Assert.Contains("sla-breached", urgent.Fields["tags"]!.AsArray().Select(t => (string?)t));
        await Eventually.TrueAsync(async () =>
            (await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery { Filter = Filter.Eq("title", "First response overdue: Invoice wrong") })).Items.Count == 1);
        await LetTheSchedulerScanAsync();
        Assert.Single((await _crm.Client.GetHistoryAsync(RecordTypes.Case, late.Id)).Items, e => e.Type == "case.slaBreached");
        Assert.Single((await _crm.Client.QueryAsync(RecordTypes.Task, new RecordQuery())).Items);
        Assert.Equal("normal", (string?)(await _crm.Client.GetAsync(RecordTypes.Case, answered.Id))!.Fields["priority"]);
    }

    private async Task<CrmRecord> EventuallyAsync(string id, Func<CrmRecord, bool> condition)
    {
        CrmRecord? record = null;
        await Eventually.TrueAsync(async () => (record = await _crm.Client.GetAsync(RecordTypes.Case, id)) is not null && condition(record));
        return record!;
    }
}
