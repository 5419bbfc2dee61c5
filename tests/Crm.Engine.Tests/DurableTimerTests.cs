using System.Text.Json.Nodes;
using Crm.Engine.Coordination;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Engine.Tests;

/// <summary>
/// Durable timers on records, with the scheduler on a fake clock (the rest of the engine keeps real time): a timer
/// fires when its due time has come, once, after a restart too, and not at all when cancelled.
/// </summary>
public sealed class DurableTimerTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "crm-timers-" + Guid.NewGuid().ToString("N"));
    private CrmTestEngine _crm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _crm = await StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private Task<CrmTestEngine> StartAsync() =>
        CrmTestEngine.StartAsync(_directory, o => o.Coordination.TimeProvider = _clock, cancellationToken: Ct);

    private Task LetTheSchedulerScanAsync() => _crm.LetTheSchedulerScanAsync(_clock);

    private async Task<List<CrmEvent>> FiringsAsync(string type, string id) =>
        (await _crm.Client.GetHistoryAsync(type, id, limit: 500)).Items.Where(e => e.Type == "timer.fired").ToList();

    [Fact]
    public async Task A_timer_fires_once_when_its_due_time_comes_and_not_before()
    {
        var ticket = await _crm.Client.CreateAsync(RecordTypes.Case, new JsonObject { ["subject"] = "Printer on fire" });
        var due = _clock.GetUtcNow().AddHours(4);
        await _crm.Client.SetTimerAsync(RecordTypes.Case, ticket.Id, new RecordTimer("followUp.firstCall", due, """{"level":1}"""));
        Assert.Equal("followUp.firstCall", Assert.Single(await _crm.Client.GetTimersAsync(RecordTypes.Case, ticket.Id)).Name);

        await LetTheSchedulerScanAsync();
        Assert.Empty(await FiringsAsync(RecordTypes.Case, ticket.Id));

        _clock.SetUtcNow(due);
        await Eventually.TrueAsync(async () => (await FiringsAsync(RecordTypes.Case, ticket.Id)).Count > 0);
        await LetTheSchedulerScanAsync();

        var fired = Assert.Single(await FiringsAsync(RecordTypes.Case, ticket.Id));
        var payload = JsonNode.Parse(fired.PayloadJson)!;
        Assert.Equal("followUp.firstCall", (string?)payload["name"]);
        Assert.Equal($"case/{ticket.Id}#followUp.firstCall", (string?)payload["timerId"]);
        Assert.Equal(1, (int?)payload["payload"]?["level"]);
        Assert.Equal(Actor.System, fired.Actor);
        Assert.Empty(await _crm.Client.GetTimersAsync(RecordTypes.Case, ticket.Id));
    }

    [Fact]
    public async Task A_cancelled_timer_never_fires_and_a_moved_one_fires_at_its_new_time()
    {
        var task = await _crm.Client.CreateAsync(RecordTypes.Task, new JsonObject { ["title"] = "Call back" });
        var now = _clock.GetUtcNow();
        await _crm.Client.SetTimerAsync(RecordTypes.Task, task.Id, new RecordTimer("remind", now.AddMinutes(10)));
        await _crm.Client.SetTimerAsync(RecordTypes.Task, task.Id, new RecordTimer("escalate", now.AddMinutes(10)));
        await _crm.Client.CancelTimerAsync(RecordTypes.Task, task.Id, "escalate");
        await _crm.Client.SetTimerAsync(RecordTypes.Task, task.Id, new RecordTimer("remind", now.AddMinutes(30)));

        _clock.SetUtcNow(now.AddMinutes(20));
        await LetTheSchedulerScanAsync();
        Assert.Empty(await FiringsAsync(RecordTypes.Task, task.Id));

        _clock.SetUtcNow(now.AddMinutes(30));
        await Eventually.TrueAsync(async () => (await FiringsAsync(RecordTypes.Task, task.Id)).Count > 0);
        await LetTheSchedulerScanAsync();
        var fired = Assert.Single(await FiringsAsync(RecordTypes.Task, task.Id));
        Assert.Equal("remind", (string?)JsonNode.Parse(fired.PayloadJson)!["name"]);
    }

    [Fact]
    public async Task A_timer_that_came_due_while_the_engine_was_down_fires_when_it_starts()
    {
        var deal = await _crm.Client.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Renewal", ["amount"] = 1200 });
        await _crm.Client.SetTimerAsync(RecordTypes.Deal, deal.Id, new RecordTimer("follow-up", _clock.GetUtcNow().AddDays(3)));
        await _crm.DisposeAsync();

        _clock.Advance(TimeSpan.FromDays(4));
        _crm = await StartAsync();

        await Eventually.TrueAsync(async () => (await FiringsAsync(RecordTypes.Deal, deal.Id)).Count > 0);
        await LetTheSchedulerScanAsync();
        Assert.Single(await FiringsAsync(RecordTypes.Deal, deal.Id));
    }

    [Fact]
    public async Task Timer_events_do_not_count_as_changes_to_the_record()
    {
        var contact = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Ann" });
        var updated = await _crm.Client.SetTimerAsync(RecordTypes.Contact, contact.Id, new RecordTimer("birthday", _clock.GetUtcNow().AddDays(1)));
        Assert.Equal(contact.UpdatedAt, updated.UpdatedAt);
        Assert.Equal(contact.Version + 1, updated.Version);
    }

    [Fact]
    public async Task A_bad_timer_is_refused_naming_the_field()
    {
        var contact = await _crm.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Ann" });
        var bad = await Assert.ThrowsAsync<ValidationException>(() =>
            _crm.Client.SetTimerAsync(RecordTypes.Contact, contact.Id, new RecordTimer("Not A Name!", _clock.GetUtcNow(), "[1]")));
        Assert.Equal(["name", "payload"], bad.Errors.Select(e => e.Field));
        Assert.Empty(await _crm.Client.GetTimersAsync(RecordTypes.Contact, contact.Id));
    }
}
