using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Domain;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Engine.Tests;

/// <summary>
/// SLA clocks of cases. Records are stamped with real time; the timer scheduler runs on a fake clock started now, so
/// a test moves it to a clock's warning or due time (however many business days away) and watches what fires.
/// </summary>
public sealed class SlaClockTests : IAsyncLifetime
{
    private static readonly SlaTarget Default = new() { QueueId = SlaTarget.AnyQueue, FirstResponseMinutes = 240, ResolutionMinutes = 2400 };
    private static readonly SlaTarget Support = new() { QueueId = "support", FirstResponseMinutes = 60, ResolutionMinutes = 480, WarningPercent = 50 };

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "crm-sla-" + Guid.NewGuid().ToString("N"));
    private CrmTestEngine _crm = null!;

    private ICrmClient Crm => _crm.Client;

    public async ValueTask InitializeAsync()
    {
        _crm = await StartAsync();
        await Crm.DefineSlaTargetAsync(Default);
        await Crm.DefineSlaTargetAsync(Support);
    }

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private Task<CrmTestEngine> StartAsync() =>
        CrmTestEngine.StartAsync(_directory, o => o.Coordination.TimeProvider = _clock, cancellationToken: TestContext.Current.CancellationToken);

    private Task LetTheSchedulerScanAsync() => _crm.LetTheSchedulerScanAsync(_clock);

    private async Task<CrmRecord> CaseAsync(string id) => (await Crm.GetAsync(RecordTypes.Case, id))!;

    private async Task<List<CrmEvent>> EventsAsync(string id, params string[] types) =>
        (await Crm.GetHistoryAsync(RecordTypes.Case, id, limit: 1000)).Items.Where(e => types.Contains(e.Type)).ToList();

    private static JsonObject Clock(CrmRecord record, string target) => (JsonObject)record.Fields["sla"]![target]!;

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse((string)node!, CultureInfo.InvariantCulture);

    /// <summary>The due time a clock of <paramref name="minutes"/> business minutes from <paramref name="start"/> must have (to the second, rounded up).</summary>
    private static DateTimeOffset Due(TenantSettings settings, DateTimeOffset start, double minutes)
    {
        var exact = BusinessCalendar.For(settings).AddMinutes(start, minutes);
        var rest = exact.UtcTicks % TimeSpan.TicksPerSecond;
        return rest == 0 ? exact : new DateTimeOffset(exact.UtcTicks - rest + TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }

    private async Task<Dictionary<string, DateTimeOffset>> TimersAsync(string id) =>
        (await Crm.GetTimersAsync(RecordTypes.Case, id)).ToDictionary(t => t.Name, t => t.DueAt);

    [Fact]
    public async Task A_new_case_gets_its_queues_target_in_business_time_with_its_timers_in_the_same_append()
    {
        var settings = await Crm.GetSettingsAsync();
        var created = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Printer on fire", ["queueId"] = "support" });

        var sla = created.Fields["sla"]!;
        Assert.Equal("support", (string?)sla["queueId"]);
        Assert.Null(sla["priority"]);
        var firstResponse = Clock(created, "firstResponse");
        Assert.Equal("running", (string?)firstResponse["status"]);
        Assert.Equal(Due(settings, created.CreatedAt, 60), Time(firstResponse["dueAt"]));
        Assert.Equal(Due(settings, created.CreatedAt, 30), Time(firstResponse["warnAt"]));
        Assert.Equal(Due(settings, created.CreatedAt, 480), Time(Clock(created, "resolution")["dueAt"]));
        Assert.Equal(Due(settings, created.CreatedAt, 240), Time(Clock(created, "resolution")["warnAt"]));

        Assert.Equal(new Dictionary<string, DateTimeOffset>
        {
            ["sla.firstResponse.warning"] = Due(settings, created.CreatedAt, 30),
            ["sla.firstResponse.breach"] = Due(settings, created.CreatedAt, 60),
            ["sla.resolution.warning"] = Due(settings, created.CreatedAt, 240),
            ["sla.resolution.breach"] = Due(settings, created.CreatedAt, 480),
        }, await TimersAsync(created.Id));

        // One append: the case, its status, its SLA and its four timers share the creation's time.
        var history = (await Crm.GetHistoryAsync(RecordTypes.Case, created.Id)).Items;
        Assert.Equal(["record.created", "case.statusChanged", "case.slaApplied", "timer.scheduled", "timer.scheduled", "timer.scheduled", "timer.scheduled"], history.Select(e => e.Type));
        Assert.All(history, e => Assert.Equal(created.CreatedAt, e.Time));

        // Cases of other queues get the default target.
        var other = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Login", ["queueId"] = "billing" });
        Assert.Equal("*", (string?)other.Fields["sla"]!["queueId"]);
        Assert.Equal(Due(settings, other.CreatedAt, 240), Time(Clock(other, "firstResponse")["dueAt"]));
    }

    [Fact]
    public async Task The_clock_warns_then_breaches_once_at_its_business_due_time()
    {
        var created = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Outage", ["queueId"] = "support" });
        var warnAt = Time(Clock(created, "firstResponse")["warnAt"]);
        var dueAt = Time(Clock(created, "firstResponse")["dueAt"]);

        _clock.SetUtcNow(warnAt.AddMinutes(-1));
        await LetTheSchedulerScanAsync();
        Assert.Empty(await EventsAsync(created.Id, "case.slaWarning", "case.slaBreached"));

        _clock.SetUtcNow(warnAt);
        await Eventually.TrueAsync(async () => (await EventsAsync(created.Id, "case.slaWarning")).Count > 0);
        var warned = await CaseAsync(created.Id);
        Assert.Equal("warning", (string?)Clock(warned, "firstResponse")["status"]);
        Assert.Equal("running", (string?)Clock(warned, "resolution")["status"]);

        _clock.SetUtcNow(dueAt.AddMinutes(-1));
        await LetTheSchedulerScanAsync();
        Assert.Empty(await EventsAsync(created.Id, "case.slaBreached"));

        _clock.SetUtcNow(dueAt);
        await Eventually.TrueAsync(async () => (await EventsAsync(created.Id, "case.slaBreached")).Count > 0);
        await LetTheSchedulerScanAsync();

        var breach = Assert.Single(await EventsAsync(created.Id, "case.slaBreached"));
        var payload = JsonNode.Parse(breach.PayloadJson)!;
        Assert.Equal("firstResponse", (string?)payload["target"]);
        Assert.Equal(dueAt, Time(payload["dueAt"]));
        Assert.Equal(Actor.System, breach.Actor);
        // written in the append that fired the timer, caused by it
        var fired = (await EventsAsync(created.Id, "timer.fired")).Single(e => (string?)JsonNode.Parse(e.PayloadJson)!["name"] == "sla.firstResponse.breach");
        Assert.Equal(fired.Version + 1, breach.Version);
        Assert.Equal(fired.CausationId, breach.CausationId);
        Assert.Single(await EventsAsync(created.Id, "case.slaWarning"));

        var breached = Clock(await CaseAsync(created.Id), "firstResponse");
        Assert.Equal("breached", (string?)breached["status"]);
        Assert.NotNull(breached["breachedAt"]);
        Assert.Equal(["sla.resolution.breach", "sla.resolution.warning"], (await TimersAsync(created.Id)).Keys.Order());

        // A late response is recorded on the breached clock; it stays breached.
        var responded = await Crm.RecordCaseResponseAsync(created.Id);
        Assert.Equal("breached", (string?)Clock(responded, "firstResponse")["status"]);
        Assert.NotNull(Clock(responded, "firstResponse")["metAt"]);
    }

    [Fact]
    public async Task Responding_in_time_meets_the_first_response_and_cancels_its_timers()
    {
        var created = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Question", ["queueId"] = "support" });
        var dueAt = Time(Clock(created, "firstResponse")["dueAt"]);

        var responded = await Crm.RecordCaseResponseAsync(created.Id);
        var clock = Clock(responded, "firstResponse");
        Assert.Equal("met", (string?)clock["status"]);
        Assert.Equal(responded.Fields["firstResponseAt"]!.ToString(), clock["metAt"]!.ToString());
        Assert.Equal(["sla.resolution.breach", "sla.resolution.warning"], (await TimersAsync(created.Id)).Keys.Order());
        Assert.Equal(2, (await EventsAsync(created.Id, "timer.cancelled")).Count);

        _clock.SetUtcNow(dueAt.AddMinutes(1));
        await LetTheSchedulerScanAsync();
        Assert.Empty(await EventsAsync(created.Id, "case.slaWarning", "case.slaBreached"));
        Assert.Equal("met", (string?)Clock(await CaseAsync(created.Id), "firstResponse")["status"]);
    }

    [Fact]
    public async Task Resolving_meets_resolution_and_reopening_restarts_it_with_the_full_target()
    {
        var settings = await Crm.GetSettingsAsync();
        var created = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Refund", ["queueId"] = "support" });

        var resolved = await Crm.UpdateAsync(RecordTypes.Case, created.Id, new JsonObject { ["status"] = "resolved" });
        Assert.Equal("met", (string?)Clock(resolved, "resolution")["status"]);
        Assert.Equal("met", (string?)Clock(resolved, "firstResponse")["status"]); // leaving "new" is a response
        Assert.Empty(await TimersAsync(created.Id));

        var reopened = await Crm.UpdateAsync(RecordTypes.Case, created.Id, new JsonObject { ["status"] = "open" });
        var resolution = Clock(reopened, "resolution");
        Assert.Equal("running", (string?)resolution["status"]);
        Assert.Null(resolution["metAt"]);
        Assert.Equal(reopened.UpdatedAt, Time(resolution["startedAt"]));
        Assert.Equal(Due(settings, reopened.UpdatedAt, 480), Time(resolution["dueAt"]));
        Assert.Equal("met", (string?)Clock(reopened, "firstResponse")["status"]);
        Assert.Equal(["sla.resolution.breach", "sla.resolution.warning"], (await TimersAsync(created.Id)).Keys.Order());
    }

    [Fact]
    public async Task A_breach_that_came_due_while_the_engine_was_down_fires_once_after_a_restart()
    {
        var created = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Night shift", ["queueId"] = "support" });
        var resolutionDue = Time(Clock(created, "resolution")["dueAt"]);
        await _crm.DisposeAsync();

        _clock.SetUtcNow(resolutionDue.AddDays(1));
        _crm = await StartAsync();

        await Eventually.TrueAsync(async () => (await EventsAsync(created.Id, "case.slaBreached")).Count == 2);
        await LetTheSchedulerScanAsync();
        await _crm.RestartAsync(TestContext.Current.CancellationToken);
        await LetTheSchedulerScanAsync();

        var breaches = await EventsAsync(created.Id, "case.slaBreached");
        Assert.Equal(["firstResponse", "resolution"], breaches.Select(e => (string?)JsonNode.Parse(e.PayloadJson)!["target"]).Order());
        var record = await CaseAsync(created.Id);
        Assert.Equal("breached", (string?)Clock(record, "firstResponse")["status"]);
        Assert.Equal("breached", (string?)Clock(record, "resolution")["status"]);
        Assert.Empty(await TimersAsync(created.Id));
        // A warning that was still pending when its breach fired does not fire afterwards.
        Assert.DoesNotContain(await EventsAsync(created.Id, "case.slaWarning", "case.slaBreached"),
            e => e.Type == "case.slaWarning" && breaches.Any(b => b.Version < e.Version && (string?)JsonNode.Parse(b.PayloadJson)!["target"] == (string?)JsonNode.Parse(e.PayloadJson)!["target"]));
    }

    [Fact]
    public async Task Closed_days_and_holidays_push_the_due_time()
    {
        // Open round the clock, so the only closed time is what the test adds.
        await Crm.ChangeSettingsAsync(new GeneralSettingsChange { TimeZone = "UTC", BusinessHours = [] });
        var plain = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "A", ["queueId"] = "support" });
        var plainDue = Time(Clock(plain, "firstResponse")["dueAt"]);
        var dueDay = DateOnly.FromDateTime(plainDue.UtcDateTime);

        var holidays = await Crm.ChangeSettingsAsync(new GeneralSettingsChange { Holidays = [dueDay] });
        var onHoliday = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "B", ["queueId"] = "support" });
        var holidayDue = Time(Clock(onHoliday, "firstResponse")["dueAt"]);
        Assert.Equal(Due(holidays, onHoliday.CreatedAt, 60), holidayDue);
        Assert.True(DateOnly.FromDateTime(holidayDue.UtcDateTime) > dueDay, $"{holidayDue:O} should fall after the holiday {dueDay}");

        var allWeek = Enum.GetValues<DayOfWeek>().Select(d => new BusinessDay(d, TimeOnly.MinValue, TimeOnly.MaxValue));
        var closed = await Crm.ChangeSettingsAsync(new GeneralSettingsChange { Holidays = [], BusinessHours = [.. allWeek.Where(d => d.Day != dueDay.DayOfWeek)] });
        var onClosedDay = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "C", ["queueId"] = "support" });
        var closedDue = Time(Clock(onClosedDay, "firstResponse")["dueAt"]);
        Assert.Equal(Due(closed, onClosedDay.CreatedAt, 60), closedDue);
        Assert.True(DateOnly.FromDateTime(closedDue.UtcDateTime) > dueDay, $"{closedDue:O} should fall after the closed {dueDay.DayOfWeek}");
    }

    [Fact]
    public async Task Changing_queue_or_priority_recomputes_the_sla_from_the_cases_start()
    {
        await Crm.DefineSlaTargetAsync(new SlaTarget { QueueId = "vip", FirstResponseMinutes = 15, ResolutionMinutes = 120 });
        await Crm.DefineSlaTargetAsync(new SlaTarget { QueueId = SlaTarget.AnyQueue, Priority = "urgent", FirstResponseMinutes = 5 });
        var settings = await Crm.GetSettingsAsync();
        var created = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Upgrade", ["queueId"] = "support" });

        var moved = await Crm.UpdateAsync(RecordTypes.Case, created.Id, new JsonObject { ["queueId"] = "vip" });
        Assert.Equal("vip", (string?)moved.Fields["sla"]!["queueId"]);
        Assert.Equal(Due(settings, created.CreatedAt, 15), Time(Clock(moved, "firstResponse")["dueAt"]));
        Assert.Equal(Due(settings, created.CreatedAt, 120), Time(Clock(moved, "resolution")["dueAt"]));
        Assert.Equal(Due(settings, created.CreatedAt, 15), (await TimersAsync(created.Id))["sla.firstResponse.breach"]);
        Assert.Equal(2, (await EventsAsync(created.Id, "case.slaApplied")).Count);

        // Another queue without a target of its own, at urgent priority: the "*"/urgent target, which has no resolution clock.
        var urgent = await Crm.UpdateAsync(RecordTypes.Case, created.Id, new JsonObject { ["queueId"] = "sales", ["priority"] = "urgent" });
        Assert.Equal("*", (string?)urgent.Fields["sla"]!["queueId"]);
        Assert.Equal("urgent", (string?)urgent.Fields["sla"]!["priority"]);
        Assert.Equal(Due(settings, created.CreatedAt, 5), Time(Clock(urgent, "firstResponse")["dueAt"]));
        Assert.Null(urgent.Fields["sla"]!["resolution"]);
        Assert.Equal(["sla.firstResponse.breach", "sla.firstResponse.warning"], (await TimersAsync(created.Id)).Keys.Order());

        // A change that leaves the target as it is writes no SLA event.
        await Crm.UpdateAsync(RecordTypes.Case, created.Id, new JsonObject { ["subject"] = "Upgrade, urgently" });
        Assert.Equal(3, (await EventsAsync(created.Id, "case.slaApplied")).Count);

        // No target left at all: the SLA goes, and its timers with it.
        await Crm.RemoveSlaTargetAsync(SlaTarget.AnyQueue);
        await Crm.RemoveSlaTargetAsync(SlaTarget.AnyQueue, "urgent");
        var none = await Crm.UpdateAsync(RecordTypes.Case, created.Id, new JsonObject { ["queueId"] = "billing" });
        Assert.Null(none.Fields["sla"]);
        Assert.Single(await EventsAsync(created.Id, "case.slaRemoved"));
        Assert.Empty(await TimersAsync(created.Id));
    }

    [Fact]
    public async Task Sla_timers_and_the_sla_field_belong_to_the_engine()
    {
        var created = await Crm.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Mine", ["queueId"] = "support" });

        var set = await Assert.ThrowsAsync<ValidationException>(() =>
            Crm.SetTimerAsync(RecordTypes.Case, created.Id, new RecordTimer("sla.firstResponse.breach", _clock.GetUtcNow().AddYears(1))));
        Assert.Equal("name", Assert.Single(set.Errors).Field);
        var cancel = await Assert.ThrowsAsync<ValidationException>(() => Crm.CancelTimerAsync(RecordTypes.Case, created.Id, "sla.firstResponse.breach"));
        Assert.Equal("name", Assert.Single(cancel.Errors).Field);
        var patch = await Assert.ThrowsAsync<ValidationException>(() =>
            Crm.UpdateAsync(RecordTypes.Case, created.Id, new JsonObject { ["sla"] = new JsonObject { ["queueId"] = "vip" } }));
        Assert.Equal("sla", Assert.Single(patch.Errors).Field);
        Assert.Contains("read-only", patch.Errors[0].Message);

        Assert.Equal(4, (await TimersAsync(created.Id)).Count);
        Assert.Equal(created.Version, (await CaseAsync(created.Id)).Version);
    }
}
