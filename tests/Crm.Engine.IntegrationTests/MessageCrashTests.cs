using Crm.Engine.CrashHost;

namespace Crm.Engine.IntegrationTests;

/// <summary>Killing the process while it sends messages loses none; the only repeats are sends in flight, with the same id.</summary>
public sealed class MessageCrashTests
{
    private const int Messages = 300;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    internal static string[] Sent(string directory)
    {
        var log = Path.Combine(directory, "sent.log");
        // A line torn by the kill has no newline yet: only whole lines are sends.
        var text = File.Exists(log) ? File.ReadAllText(log) : "";
        return text.Length == 0 ? [] : text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task A_kill_while_sending_loses_no_message_and_repeats_only_in_flight_sends_with_the_same_id()
    {
        using var directory = new TempDataDirectory();
        IReadOnlyList<Ack> queued;
        await using (var host = CrashHostProcess.Start(CrashHostMode.Messages, directory.Path, writers: Messages))
        {
            await host.WaitForAcksAsync(Messages, Patience);
            queued = host.Acks;
            await Eventually.TrueAsync(() => Task.FromResult(Sent(directory.Path).Length >= 20), Patience, "some messages to go out");
            await host.KillAsync(Patience);
        }

        var beforeRestart = Sent(directory.Path).Length;
        Assert.True(beforeRestart < Messages, $"all {beforeRestart} messages went out before the kill; the test did not kill mid-way");

        await using (var host = CrashHostProcess.Start(CrashHostMode.Messages, directory.Path, writers: Messages))
        {
            await host.WaitUntilReadyAsync(Patience);
            await Eventually.TrueAsync(() => Task.FromResult(Sent(directory.Path).Distinct().Count() >= Messages), Patience, "every message to go out");
            await host.KillAsync(Patience);
        }

        var sent = Sent(directory.Path);
        var ids = queued.Select(a => a.Marker).ToHashSet();
        Assert.Equal(ids.Order(), sent.Distinct().Order());
        var repeats = sent.GroupBy(s => s).Where(g => g.Count() > 1).ToList();
        Assert.All(repeats, g => Assert.Equal(2, g.Count()));
        // Rows run at most 32 at a time: only those in flight at the kill can go out twice.
        Assert.True(repeats.Count <= 32, $"{repeats.Count} messages went out twice");
        TestContext.Current.TestOutputHelper?.WriteLine($"{beforeRestart} sent before the kill, {sent.Length} sends in all, {repeats.Count} repeated.");
    }
}
