namespace Crm.Engine.Tests;

/// <summary>SLA targets and holidays in tenant settings: validated field by field, versioned, readable as of a past time.</summary>
public sealed class SlaSettingsTests(EngineFixture fixture)
{
    [Fact]
    public async Task A_bad_sla_target_is_refused_naming_each_field()
    {
        var crm = fixture.NewTenant();
        var bad = await Assert.ThrowsAsync<ValidationException>(() =>
            crm.DefineSlaTargetAsync(new SlaTarget { QueueId = "no spaces!", Priority = "critical", WarningPercent = 100 }));
        Assert.Equal(["queueId", "priority", "firstResponseMinutes", "warningPercent"], bad.Errors.Select(e => e.Field));

        bad = await Assert.ThrowsAsync<ValidationException>(() =>
            crm.DefineSlaTargetAsync(new SlaTarget { QueueId = "*", FirstResponseMinutes = 0, ResolutionMinutes = 600_000 }));
        Assert.Equal(["firstResponseMinutes", "resolutionMinutes"], bad.Errors.Select(e => e.Field));
        Assert.Empty((await crm.GetSettingsAsync()).SlaTargets);
    }

    [Fact]
    public async Task Sla_targets_are_versioned_replaced_per_queue_and_priority_and_removed()
    {
        var crm = fixture.NewTenant();
        var first = await crm.DefineSlaTargetAsync(new SlaTarget { QueueId = "support", FirstResponseMinutes = 60 });
        await Task.Delay(20, TestContext.Current.CancellationToken); // distinct event times for the as-of read
        var before = DateTimeOffset.UtcNow;
        await Task.Delay(20, TestContext.Current.CancellationToken);
        await crm.DefineSlaTargetAsync(new SlaTarget { QueueId = "support", Priority = "urgent", FirstResponseMinutes = 10 });
        var replaced = await crm.DefineSlaTargetAsync(new SlaTarget { QueueId = "support", FirstResponseMinutes = 45, WarningPercent = 70 });

        Assert.Equal(first.Version + 2, replaced.Version);
        Assert.Equal([(null, 45), ("urgent", 10)], replaced.SlaTargets.Select(t => (t.Priority, t.FirstResponseMinutes ?? 0)).OrderBy(t => t.Priority));
        Assert.Equal(80, first.SlaTargets[0].WarningPercent);
        Assert.Equal(45, replaced.FindSlaTarget("support", "low")!.FirstResponseMinutes);
        Assert.Equal(10, replaced.FindSlaTarget("support", "urgent")!.FirstResponseMinutes);
        Assert.Null(replaced.FindSlaTarget("billing", "urgent"));
        Assert.Equal(60, Assert.Single((await crm.GetSettingsAsync(before)).SlaTargets).FirstResponseMinutes);

        var removed = await crm.RemoveSlaTargetAsync("support", "urgent");
        Assert.Equal(45, Assert.Single(removed.SlaTargets).FirstResponseMinutes);
        var missing = await Assert.ThrowsAsync<ValidationException>(() => crm.RemoveSlaTargetAsync("support", "urgent"));
        Assert.Equal("queueId", Assert.Single(missing.Errors).Field);
    }

    [Fact]
    public async Task Holidays_are_general_settings_kept_sorted_and_distinct()
    {
        var crm = fixture.NewTenant();
        var changed = await crm.ChangeSettingsAsync(new GeneralSettingsChange
        {
            Holidays = [new DateOnly(2026, 12, 25), new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 25)],
        });
        Assert.Equal([new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 25)], changed.Holidays);
        Assert.Equal(changed.Holidays, (await crm.ChangeSettingsAsync(new GeneralSettingsChange { BaseCurrency = "EUR" })).Holidays);

        var bad = await Assert.ThrowsAsync<ValidationException>(() =>
            crm.ChangeSettingsAsync(new GeneralSettingsChange { Holidays = [new DateOnly(1999, 12, 31)] }));
        Assert.Equal("holidays", Assert.Single(bad.Errors).Field);
    }
}
