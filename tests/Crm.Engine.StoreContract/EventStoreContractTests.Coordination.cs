using Crm.Engine.Storage;
using Xunit;

namespace Crm.Engine.Storage.Contract;

/// <summary>Leases with fencing, checkpoints with outbox rows, effect keys and durable timers.</summary>
public abstract partial class EventStoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(10);

    private static OutboxMessage Outbox(string key, string kind = "record.update", string payload = "{}") => new()
    {
        Key = key,
        Kind = kind,
        Tenant = Tenant,
        PayloadJson = payload,
        SourceEventId = Guid.NewGuid(),
    };

    [Fact]
    public async Task A_lease_has_one_holder_until_it_expires_and_the_next_holder_gets_a_higher_epoch()
    {
        var work = (await NewStoreAsync()).Coordination;

        var first = await work.TryAcquireLeaseAsync("timers", "node-a", T0, LeaseTime, Ct);
        Assert.NotNull(first);
        Assert.Null(await work.TryAcquireLeaseAsync("timers", "node-b", T0.AddSeconds(9), LeaseTime, Ct));

        // The holder asking again renews without a new epoch.
        var renewed = await work.TryAcquireLeaseAsync("timers", "node-a", T0.AddSeconds(5), LeaseTime, Ct);
        Assert.Equal(first.Epoch, renewed!.Epoch);
        Assert.True(await work.RenewLeaseAsync(first, T0.AddSeconds(8), LeaseTime, Ct));
        Assert.Null(await work.TryAcquireLeaseAsync("timers", "node-b", T0.AddSeconds(17), LeaseTime, Ct));

        var second = await work.TryAcquireLeaseAsync("timers", "node-b", T0.AddSeconds(18), LeaseTime, Ct);
        Assert.NotNull(second);
        Assert.Equal("node-b", second.Owner);
        Assert.True(second.Epoch > first.Epoch);
        Assert.False(await work.RenewLeaseAsync(first, T0.AddSeconds(19), LeaseTime, Ct));

        // Another lease name is independent.
        Assert.NotNull(await work.TryAcquireLeaseAsync("subscription/rules", "node-a", T0.AddSeconds(19), LeaseTime, Ct));
    }

    [Fact]
    public async Task A_released_lease_is_taken_at_once_with_a_new_epoch()
    {
        var work = (await NewStoreAsync()).Coordination;
        var first = await work.TryAcquireLeaseAsync("timers", "node-a", T0, LeaseTime, Ct);
        await work.ReleaseLeaseAsync(first!, Ct);

        var next = await work.TryAcquireLeaseAsync("timers", "node-b", T0.AddMilliseconds(1), LeaseTime, Ct);
        Assert.NotNull(next);
        Assert.Equal(first!.Epoch + 1, next.Epoch);
    }

    [Fact]
    public async Task A_decision_stores_its_outbox_rows_and_checkpoint_together()
    {
        var work = (await NewStoreAsync()).Coordination;
        var fence = (await work.TryAcquireLeaseAsync("subscription/s1", "node-a", T0, LeaseTime, Ct))!;
        Assert.Equal(0, await work.GetCheckpointAsync("s1", Ct));

        await work.CommitDecisionAsync(new SubscriptionDecision(fence, "s1", 42, [Outbox("e1/0"), Outbox("e1/1", "webhook", """{"url":"x"}""")], T0), Ct);

        Assert.Equal(42, await work.GetCheckpointAsync("s1", Ct));
        var due = await work.GetDueOutboxAsync("s1", T0, 10, Ct);
        Assert.Equal(["e1/0", "e1/1"], due.Select(e => e.Key));
        Assert.All(due, e => Assert.Equal(OutboxStatus.Pending, e.Status));
        Assert.Equal("webhook", due[1].Kind);
        Assert.Equal("""{"url":"x"}""", due[1].PayloadJson);
        Assert.Equal("s1/e1/1", due[1].EffectKey);
        Assert.NotNull(due[0].SourceEventId);
        Assert.Empty(await work.GetDueOutboxAsync("other", T0, 10, Ct));
    }

    [Fact]
    public async Task A_checkpoint_never_moves_back_and_a_repeated_outbox_key_is_stored_once()
    {
        var work = (await NewStoreAsync()).Coordination;
        var fence = (await work.TryAcquireLeaseAsync("subscription/s1", "node-a", T0, LeaseTime, Ct))!;
        await work.CommitDecisionAsync(new SubscriptionDecision(fence, "s1", 10, [Outbox("k1")], T0), Ct);
        await work.CommitDecisionAsync(new SubscriptionDecision(fence, "s1", 5, [Outbox("k1"), Outbox("k2")], T0), Ct);

        Assert.Equal(10, await work.GetCheckpointAsync("s1", Ct));
        Assert.Equal(["k1", "k2"], (await work.ListOutboxAsync("s1", 0, 10, Ct)).Select(e => e.Key));
    }

    [Fact]
    public async Task A_deposed_owner_cannot_move_the_checkpoint_write_outbox_rows_or_record_outcomes()
    {
        var work = (await NewStoreAsync()).Coordination;
        var old = (await work.TryAcquireLeaseAsync("subscription/s1", "node-a", T0, LeaseTime, Ct))!;
        await work.CommitDecisionAsync(new SubscriptionDecision(old, "s1", 7, [Outbox("k1")], T0), Ct);
        var row = Assert.Single(await work.GetDueOutboxAsync("s1", T0, 10, Ct));

        var successor = (await work.TryAcquireLeaseAsync("subscription/s1", "node-b", T0.AddSeconds(11), LeaseTime, Ct))!;
        Assert.True(successor.Epoch > old.Epoch);

        // node-a wakes up late and carries on as if it still held the lease.
        var late = await Assert.ThrowsAsync<LeaseLostException>(() =>
            work.CommitDecisionAsync(new SubscriptionDecision(old, "s1", 9, [Outbox("k2")], T0.AddSeconds(12)), Ct));
        Assert.Equal(old.Epoch, late.Epoch);
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            work.RecordOutboxOutcomeAsync(old, new OutboxOutcome(row.Id, OutboxStatus.Done, T0.AddSeconds(12)), Ct));

        Assert.Equal(7, await work.GetCheckpointAsync("s1", Ct));
        var rows = await work.ListOutboxAsync("s1", 0, 10, Ct);
        Assert.Equal(OutboxStatus.Pending, Assert.Single(rows).Status);

        // The new owner's writes go through.
        await work.RecordOutboxOutcomeAsync(successor, new OutboxOutcome(row.Id, OutboxStatus.Done, T0.AddSeconds(12)), Ct);
        Assert.Equal(OutboxStatus.Done, Assert.Single(await work.ListOutboxAsync("s1", 0, 10, Ct)).Status);
    }

    [Fact]
    public async Task An_outbox_row_is_retried_when_due_and_stops_once_done_or_failed()
    {
        var work = (await NewStoreAsync()).Coordination;
        var fence = (await work.TryAcquireLeaseAsync("subscription/s1", "node-a", T0, LeaseTime, Ct))!;
        await work.CommitDecisionAsync(new SubscriptionDecision(fence, "s1", 1, [Outbox("a"), Outbox("b"), Outbox("later") with { NotBefore = T0.AddMinutes(5) }], T0), Ct);
        var due = await work.GetDueOutboxAsync("s1", T0, 10, Ct);
        Assert.Equal(["a", "b"], due.Select(e => e.Key));
        Assert.Equal(T0, await work.GetNextOutboxDueAsync("s1", Ct));

        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(due[0].Id, OutboxStatus.Pending, T0, T0.AddSeconds(30), "smtp 451"), Ct);
        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(due[1].Id, OutboxStatus.Done, T0), Ct);

        Assert.Empty(await work.GetDueOutboxAsync("s1", T0.AddSeconds(29), 10, Ct));
        Assert.Equal(T0.AddSeconds(30), await work.GetNextOutboxDueAsync("s1", Ct));
        var retry = Assert.Single(await work.GetDueOutboxAsync("s1", T0.AddSeconds(30), 10, Ct));
        Assert.Equal("a", retry.Key);
        Assert.Equal(1, retry.Attempts);
        Assert.Equal("smtp 451", retry.LastError);

        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(retry.Id, OutboxStatus.Failed, T0.AddSeconds(31), Error: "gave up"), Ct);
        Assert.Equal(["later"], (await work.GetDueOutboxAsync("s1", T0.AddHours(1), 10, Ct)).Select(e => e.Key));

        var all = await work.ListOutboxAsync("s1", 0, 10, Ct);
        Assert.Equal([OutboxStatus.Failed, OutboxStatus.Done, OutboxStatus.Pending], all.Select(e => e.Status));
        Assert.Equal(2, all[0].Attempts);
        Assert.Equal(T0.AddSeconds(31), all[0].CompletedAt);

        // An outcome for a row no longer pending changes nothing.
        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(all[1].Id, OutboxStatus.Pending, T0, T0, "again"), Ct);
        Assert.Equal(OutboxStatus.Done, (await work.ListOutboxAsync("s1", 0, 10, Ct))[1].Status);
    }

    [Fact]
    public async Task Done_outbox_rows_past_retention_are_pruned_by_the_holder_and_failed_ones_are_kept()
    {
        var work = (await NewStoreAsync()).Coordination;
        var fence = (await work.TryAcquireLeaseAsync("subscription/s1", "node-a", T0, LeaseTime, Ct))!;
        await work.CommitDecisionAsync(new SubscriptionDecision(fence, "s1", 1, [Outbox("old"), Outbox("failed"), Outbox("recent"), Outbox("pending")], T0), Ct);
        var rows = await work.ListOutboxAsync("s1", 0, 10, Ct);
        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(rows[0].Id, OutboxStatus.Done, T0), Ct);
        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(rows[1].Id, OutboxStatus.Failed, T0, Error: "gave up"), Ct);
        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(rows[2].Id, OutboxStatus.Done, T0.AddDays(2)), Ct);

        Assert.Equal(1, await work.PruneOutboxAsync(fence, "s1", T0.AddDays(1), 100, Ct));
        Assert.Equal(["failed", "recent", "pending"], (await work.ListOutboxAsync("s1", 0, 10, Ct)).Select(e => e.Key));

        var successor = (await work.TryAcquireLeaseAsync("subscription/s1", "node-b", T0.AddMinutes(1), LeaseTime, Ct))!;
        await Assert.ThrowsAsync<LeaseLostException>(() => work.PruneOutboxAsync(fence, "s1", T0.AddDays(3), 100, Ct));
        Assert.Equal(3, (await work.ListOutboxAsync("s1", 0, 10, Ct)).Count);
        Assert.Equal(1, await work.PruneOutboxAsync(successor, "s1", T0.AddDays(3), 100, Ct));
    }

    [Fact]
    public async Task A_dead_letter_is_replayed_as_a_fresh_pending_row_and_nothing_else_is()
    {
        var work = (await NewStoreAsync()).Coordination;
        var fence = (await work.TryAcquireLeaseAsync("subscription/s1", "node-a", T0, LeaseTime, Ct))!;
        await work.CommitDecisionAsync(new SubscriptionDecision(fence, "s1", 1, [Outbox("dead"), Outbox("done"), Outbox("waiting")], T0), Ct);
        var rows = await work.ListOutboxAsync("s1", 0, 10, Ct);
        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(rows[0].Id, OutboxStatus.Failed, T0, Error: "gave up"), Ct);
        await work.RecordOutboxOutcomeAsync(fence, new OutboxOutcome(rows[1].Id, OutboxStatus.Done, T0), Ct);

        Assert.False(await work.ReplayOutboxAsync("s1", rows[1].Id, T0.AddMinutes(1), Ct)); // done
        Assert.False(await work.ReplayOutboxAsync("s1", rows[2].Id, T0.AddMinutes(1), Ct)); // still pending
        Assert.False(await work.ReplayOutboxAsync("other", rows[0].Id, T0.AddMinutes(1), Ct));
        Assert.True(await work.ReplayOutboxAsync("s1", rows[0].Id, T0.AddMinutes(1), Ct));

        var replayed = (await work.ListOutboxAsync("s1", 0, 10, Ct))[0];
        Assert.Equal((OutboxStatus.Pending, 0, (DateTimeOffset?)null), (replayed.Status, replayed.Attempts, replayed.CompletedAt));
        Assert.Equal(["dead", "waiting"], (await work.GetDueOutboxAsync("s1", T0.AddMinutes(1), 10, Ct)).Select(e => e.Key).Order());
        Assert.False(await work.ReplayOutboxAsync("s1", rows[0].Id, T0.AddMinutes(2), Ct));
    }

    [Fact]
    public async Task Timers_are_scheduled_replaced_and_cancelled_by_the_appends_of_their_stream()
    {
        var store = await NewStoreAsync();
        var work = store.Coordination;
        await store.AppendAsync(Request("case/k1", 0) with
        {
            ScheduleTimers = [new TimerSchedule("sla.response", T0.AddHours(4), """{"level":1}"""), new TimerSchedule("sla.resolve", T0.AddDays(2))],
        }, Ct);

        var timers = await work.GetTimersOfStreamAsync(Tenant, "case/k1", Ct);
        Assert.Equal(["sla.response", "sla.resolve"], timers.Select(t => t.Name));
        Assert.Equal("case/k1#sla.response", timers[0].TimerId);
        Assert.Equal("""{"level":1}""", timers[0].PayloadJson);
        Assert.Equal(T0.AddHours(4), await work.GetNextTimerDueAsync(Ct));
        Assert.Empty(await work.GetDueTimersAsync(T0.AddHours(4).AddTicks(-1), 10, Ct));
        Assert.Equal("sla.response", Assert.Single(await work.GetDueTimersAsync(T0.AddHours(4), 10, Ct)).Name);

        await store.AppendAsync(Request("case/k1", 1) with
        {
            ScheduleTimers = [new TimerSchedule("sla.response", T0.AddHours(8))],
            CancelTimers = ["sla.resolve", "never-set"],
        }, Ct);

        var moved = Assert.Single(await work.GetTimersOfStreamAsync(Tenant, "case/k1", Ct));
        Assert.Equal(T0.AddHours(8), moved.DueAt);
        Assert.Null(moved.PayloadJson);
        Assert.Empty(await work.GetTimersOfStreamAsync("other-tenant", "case/k1", Ct));
    }

    [Fact]
    public async Task A_timer_fires_once_and_only_at_the_due_time_it_is_pending_for()
    {
        var store = await NewStoreAsync();
        await store.AppendAsync(Request("task/t1", 0) with { ScheduleTimers = [new TimerSchedule("remind", T0)] }, Ct);

        // A firing for a due time the timer no longer has is refused (it was moved after the scheduler read it).
        await Assert.ThrowsAsync<TimerNotPendingException>(() =>
            store.AppendAsync(Request("task/t1", 1) with { FiresTimer = new TimerFiring("remind", T0.AddMinutes(1)) }, Ct));

        await store.AppendAsync(Request("task/t1", 1, events: 1) with { FiresTimer = new TimerFiring("remind", T0) }, Ct);
        Assert.Null(await store.Coordination.GetNextTimerDueAsync(Ct));

        var again = await Assert.ThrowsAsync<TimerNotPendingException>(() =>
            store.AppendAsync(Request("task/t1", 2) with { FiresTimer = new TimerFiring("remind", T0) }, Ct));
        Assert.Equal("task/t1#remind", again.TimerId);
        Assert.Equal(2, (await store.ReadStreamAsync(Tenant, "task/t1", cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task A_firing_can_set_the_same_timer_again_for_a_recurring_schedule()
    {
        var store = await NewStoreAsync();
        await store.AppendAsync(Request("task/t1", 0) with { ScheduleTimers = [new TimerSchedule("daily", T0)] }, Ct);
        await store.AppendAsync(Request("task/t1", 1) with
        {
            FiresTimer = new TimerFiring("daily", T0),
            ScheduleTimers = [new TimerSchedule("daily", T0.AddDays(1))],
        }, Ct);

        Assert.Equal(T0.AddDays(1), Assert.Single(await store.Coordination.GetTimersOfStreamAsync(Tenant, "task/t1", Ct)).DueAt);
    }

    [Fact]
    public async Task A_refused_append_schedules_no_timer()
    {
        var store = await NewStoreAsync();
        await store.AppendAsync(Request("task/t1", 0), Ct);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            store.AppendAsync(Request("task/t1", 0) with { ScheduleTimers = [new TimerSchedule("remind", T0)] }, Ct));

        Assert.Null(await store.Coordination.GetNextTimerDueAsync(Ct));
    }

    [Fact]
    public async Task An_effect_key_applies_once_across_streams()
    {
        var store = await NewStoreAsync();
        await store.AppendAsync(Request("contact/c1", 0) with { EffectKey = "rules/evt-1/0" }, Ct);

        var again = await Assert.ThrowsAsync<EffectAlreadyAppliedException>(() =>
            store.AppendAsync(Request("contact/c1", 1) with { EffectKey = "rules/evt-1/0" }, Ct));
        Assert.Equal("rules/evt-1/0", again.EffectKey);
        await Assert.ThrowsAsync<EffectAlreadyAppliedException>(() =>
            store.AppendAsync(Request("contact/c2", 0) with { EffectKey = "rules/evt-1/0" }, Ct));

        Assert.Single(await store.ReadStreamAsync(Tenant, "contact/c1", cancellationToken: Ct));
        Assert.Empty(await store.ReadStreamAsync(Tenant, "contact/c2", cancellationToken: Ct));
        await store.AppendAsync(Request("contact/c1", 1) with { EffectKey = "rules/evt-1/1" }, Ct);
    }

    [Fact]
    public async Task Racing_appends_with_one_effect_key_apply_it_once_and_their_batch_mates_still_commit()
    {
        var store = await NewStoreAsync();
        var appends = Enumerable.Range(0, 40).Select(i => Task.Run(() => store.AppendAsync(
            Request($"contact/c{i}", 0) with { EffectKey = i % 2 == 0 ? "same-effect" : $"effect-{i}" }, Ct))).ToArray();
        await Task.WhenAll(appends.Select(a => a.ContinueWith(_ => { }, TaskScheduler.Default)));

        Assert.Equal(1, appends.Where((a, i) => i % 2 == 0).Count(a => a.IsCompletedSuccessfully));
        Assert.All(appends.Where((a, i) => i % 2 == 0 && !a.IsCompletedSuccessfully), a => Assert.IsType<EffectAlreadyAppliedException>(a.Exception!.InnerException));
        Assert.All(appends.Where((a, i) => i % 2 == 1), a => Assert.True(a.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task An_append_under_a_lost_lease_writes_nothing()
    {
        var store = await NewStoreAsync();
        var work = store.Coordination;
        await store.AppendAsync(Request("task/t1", 0) with { ScheduleTimers = [new TimerSchedule("remind", T0)] }, Ct);
        var old = (await work.TryAcquireLeaseAsync("timers", "node-a", T0, LeaseTime, Ct))!;
        await store.AppendAsync(Request("task/t2", 0) with { Fence = old }, Ct);
        Assert.NotNull(await work.TryAcquireLeaseAsync("timers", "node-b", T0.AddMinutes(1), LeaseTime, Ct));

        await Assert.ThrowsAsync<LeaseLostException>(() =>
            store.AppendAsync(Request("task/t1", 1) with { Fence = old, FiresTimer = new TimerFiring("remind", T0) }, Ct));

        Assert.Single(await store.ReadStreamAsync(Tenant, "task/t1", cancellationToken: Ct));
        Assert.Single(await work.GetTimersOfStreamAsync(Tenant, "task/t1", Ct));
    }
}
