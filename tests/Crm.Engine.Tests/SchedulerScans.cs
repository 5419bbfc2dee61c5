using Crm.Engine.Coordination;
using Crm.Engine.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Engine.Tests;

/// <summary>For tests whose timer scheduler runs on a fake clock.</summary>
internal static class SchedulerScans
{
    /// <summary>Moves the scheduler's clock forward in small steps until it has scanned for due timers twice more.</summary>
    public static async Task LetTheSchedulerScanAsync(this CrmTestEngine crm, FakeTimeProvider clock)
    {
        var scheduler = crm.Services.GetRequiredService<CoordinationRuntime>().Timers;
        var target = scheduler.Passes + 2;
        await Eventually.TrueAsync(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            return Task.FromResult(scheduler.Passes >= target);
        });
    }
}
