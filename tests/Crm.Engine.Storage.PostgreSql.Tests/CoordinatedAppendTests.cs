using Npgsql;
using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>
/// Appends that carry a fence, an effect key or timers. The batch's check reads committed data, so another node can
/// take the lease over, apply the effect or fire the timer after it; the database then refuses the write, the batch is
/// written again with a savepoint per append, and only the append concerned fails — with the exception the check
/// would have given it — while its batch-mates commit.
/// </summary>
public sealed class CoordinatedAppendTests(PostgreSqlServerFixture server) : StoreTests(server)
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_append_whose_effect_key_another_node_applies_after_the_check_fails_alone()
    {
        await using var otherNode = await OtherNodeAppend.WriteAsync(Store, Appends.New("contact/other") with { EffectKey = "rules/e1/0" });

        var applied = await LoseRaceAloneAsync<EffectAlreadyAppliedException>(
            otherNode,
            Appends.New("contact/x") with { EffectKey = "rules/e1/0" },
            Appends.New("contact/y") with { EffectKey = "rules/e2/0" },
            Appends.New("contact/z"));
        Assert.Equal("rules/e1/0", applied.EffectKey);
        Assert.Empty(await Store.ReadStreamAsync(Appends.Tenant, "contact/x", cancellationToken: Ct));

        // The batch-mate's effect key was stored with its events.
        await Assert.ThrowsAsync<EffectAlreadyAppliedException>(() => Store.AppendAsync(Appends.New("contact/y", 1) with { EffectKey = "rules/e2/0" }, Ct));
    }

    [Fact]
    public async Task A_timer_another_node_fires_after_the_check_fires_once_and_the_late_firing_fails_alone()
    {
        await Store.AppendAsync(Appends.New("task/t1") with { ScheduleTimers = [new TimerSchedule("remind", T0)] }, Ct);
        await using var otherNode = await OtherNodeAppend.WriteAsync(Store, Appends.New("task/t1", 1) with { FiresTimer = new TimerFiring("remind", T0) });

        // The stream moved on, and the version is checked before the timer: the writer reloads and fires again.
        var conflict = await LoseRaceAloneAsync<ConcurrencyConflictException>(
            otherNode,
            Appends.New("task/t1", 1) with { FiresTimer = new TimerFiring("remind", T0) },
            Appends.New("task/y") with { ScheduleTimers = [new TimerSchedule("remind", T0)] },
            Appends.New("task/z"));
        Assert.Equal(2, conflict.ActualVersion);

        var again = await Assert.ThrowsAsync<TimerNotPendingException>(() =>
            Store.AppendAsync(Appends.New("task/t1", 2) with { FiresTimer = new TimerFiring("remind", T0) }, Ct));
        Assert.Equal("task/t1#remind", again.TimerId);

        Assert.Equal(2, (await Store.ReadStreamAsync(Appends.Tenant, "task/t1", cancellationToken: Ct)).Count);
        Assert.Empty(await Store.Coordination.GetTimersOfStreamAsync(Appends.Tenant, "task/t1", Ct));
        Assert.Single(await Store.Coordination.GetTimersOfStreamAsync(Appends.Tenant, "task/y", Ct));
    }

    [Fact]
    public async Task A_firing_whose_timer_goes_away_after_the_check_fails_alone()
    {
        await Store.AppendAsync(Appends.New("task/t1") with { ScheduleTimers = [new TimerSchedule("remind", T0)] }, Ct);
        await using var otherNode = await OtherNodeTransaction.DeleteTimerAsync(Store, "task/t1", "remind");

        // The stream is where the firing expects it: only the delete of the fired timer can tell it is gone.
        var notPending = await LoseRaceAloneAsync<TimerNotPendingException>(
            otherNode,
            Appends.New("task/t1", 1) with { FiresTimer = new TimerFiring("remind", T0) },
            Appends.New("task/y"),
            Appends.New("task/z"));
        Assert.Equal("task/t1#remind", notPending.TimerId);
        Assert.Single(await Store.ReadStreamAsync(Appends.Tenant, "task/t1", cancellationToken: Ct));
    }

    [Fact]
    public async Task An_append_under_a_lease_another_node_takes_over_after_the_check_fails_alone()
    {
        await Store.AppendAsync(Appends.New("task/t1") with { ScheduleTimers = [new TimerSchedule("remind", T0)] }, Ct);
        var fence = (await Store.Coordination.TryAcquireLeaseAsync("timers", "node-a", T0, TimeSpan.FromSeconds(10), Ct))!;
        await using var otherNode = await OtherNodeTransaction.TakeLeaseAsync(Store, "timers", "node-b", T0.AddMinutes(1));

        var lost = await LoseRaceAloneAsync<LeaseLostException>(
            otherNode,
            Appends.New("task/t1", 1) with { Fence = fence, FiresTimer = new TimerFiring("remind", T0) },
            Appends.New("task/y"),
            Appends.New("task/z"));
        Assert.Equal(fence.Epoch, lost.Epoch);
        Assert.Single(await Store.ReadStreamAsync(Appends.Tenant, "task/t1", cancellationToken: Ct));
        Assert.Single(await Store.Coordination.GetTimersOfStreamAsync(Appends.Tenant, "task/t1", Ct));
    }

    [Fact]
    public async Task Appends_of_one_stream_in_one_batch_fire_and_set_its_timers_in_order_without_a_rewrite()
    {
        using var rewrites = new RewriteCounter();

        var (scheduled, refired, fired) = await AppendTogetherAsync(
            Appends.New("task/t1") with { ScheduleTimers = [new TimerSchedule("daily", T0), new TimerSchedule("sla", T0.AddDays(2))] },
            Appends.New("task/t1", 1) with { FiresTimer = new TimerFiring("daily", T0), ScheduleTimers = [new TimerSchedule("daily", T0.AddDays(1))] },
            Appends.New("task/t1", 2) with { FiresTimer = new TimerFiring("daily", T0.AddDays(1)), CancelTimers = ["sla"] });

        await scheduled.WaitAsync(Patience, Ct);
        await refired.WaitAsync(Patience, Ct);
        Assert.Equal(3, (await fired.WaitAsync(Patience, Ct)).NextVersion);
        Assert.Equal(0, rewrites.Count);
        Assert.Empty(await Store.Coordination.GetTimersOfStreamAsync(Appends.Tenant, "task/t1", Ct));
    }

    [Fact]
    public async Task A_batch_mate_repeating_an_effect_key_or_firing_a_fired_timer_fails_alone_without_a_rewrite()
    {
        await Store.AppendAsync(Appends.New("task/t1") with { ScheduleTimers = [new TimerSchedule("remind", T0)] }, Ct);
        using var rewrites = new RewriteCounter();

        var (first, repeated, refired) = await AppendTogetherAsync(
            Appends.New("task/t1", 1) with { FiresTimer = new TimerFiring("remind", T0), EffectKey = "rules/e1/0" },
            Appends.New("task/t2") with { EffectKey = "rules/e1/0" },
            Appends.New("task/t1", 2) with { FiresTimer = new TimerFiring("remind", T0) });

        await first.WaitAsync(Patience, Ct);
        await Assert.ThrowsAsync<EffectAlreadyAppliedException>(() => repeated.WaitAsync(Patience, Ct));
        await Assert.ThrowsAsync<TimerNotPendingException>(() => refired.WaitAsync(Patience, Ct));
        Assert.Equal(0, rewrites.Count);
        Assert.Equal(2, (await Store.ReadStreamAsync(Appends.Tenant, "task/t1", cancellationToken: Ct)).Count);
        Assert.Empty(await Store.ReadStreamAsync(Appends.Tenant, "task/t2", cancellationToken: Ct));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_effect_key_the_batch_still_committing_applies_is_checked_again_once_that_batch_has_committed(bool commits)
    {
        // Commits that apply an effect key wait while the test holds a lock, and the first of them fails unless it is to commit.
        await using (var setup = Store.DataSource.CreateCommand($"""
            CREATE SEQUENCE {Store.Schema}.effect_commits;
            CREATE FUNCTION {Store.Schema}.hold_effect_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(hashtext('{Store.Schema}.effect_commits'));
                IF nextval('{Store.Schema}.effect_commits') = 1 AND NOT {commits} THEN
                    RAISE EXCEPTION 'commit refused';
                END IF;
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER hold_effect_commit AFTER INSERT ON {Store.Schema}.effects
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {Store.Schema}.hold_effect_commit();
            """))
        {
            await setup.ExecuteNonQueryAsync(Ct);
        }

        await using var commitHold = await OtherNodeTransaction.StartAsync(Store, $"SELECT pg_advisory_xact_lock(hashtext('{Store.Schema}.effect_commits'))");
        var first = Store.AppendAsync(Appends.New("contact/a") with { EffectKey = "rules/e1/0" }, Ct);
        await commitHold.WaitUntilSomeoneWaitsAsync();

        // The next batch is checked while the first is committing: held on the lock its positions are reserved under.
        await using var checkHold = await OtherNodeTransaction.StartAsync(Store, $"SELECT pg_advisory_xact_lock({PositionReservation.LockKey(Store.Schema)})");
        var second = Store.AppendAsync(Appends.New("contact/b") with { EffectKey = "rules/e1/0" }, Ct);
        await checkHold.WaitUntilSomeoneWaitsAsync();
        await checkHold.RollbackAsync();
        await commitHold.RollbackAsync();

        if (commits)
        {
            await first.WaitAsync(Patience, Ct);
            await Assert.ThrowsAsync<EffectAlreadyAppliedException>(() => second.WaitAsync(Patience, Ct));
        }
        else
        {
            // Refusing the second append while the first was committing would have lost the effect.
            var refused = await Assert.ThrowsAsync<PostgresException>(() => first.WaitAsync(Patience, Ct));
            Assert.Equal("commit refused", refused.MessageText);
            await second.WaitAsync(Patience, Ct);
        }

        Assert.Equal(commits ? 1 : 0, (await Store.ReadStreamAsync(Appends.Tenant, "contact/a", cancellationToken: Ct)).Count);
        Assert.Equal(commits ? 0 : 1, (await Store.ReadStreamAsync(Appends.Tenant, "contact/b", cancellationToken: Ct)).Count);
    }
}
