using System.Text.Json.Nodes;
using Crm.Engine.CrashHost;
using Crm.Engine.Testing;

namespace Crm.Engine.IntegrationTests;

/// <summary>One engine owns a data directory; a second one is refused with an error naming the directory.</summary>
public sealed class DataDirectoryLockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Second_engine_on_a_directory_in_use_is_refused_until_the_first_stops()
    {
        using var directory = new TempDataDirectory();
        var first = await CrmTestEngine.StartAsync(dataDirectory: directory.Path, cancellationToken: TestContext.Current.CancellationToken);
        string id;
        try
        {
            id = (await first.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["lastName"] = "Owner" })).Id;
            await AssertRefusedAsync(directory.Path);

            // The refused start must not disturb the owner: it keeps writing and keeps the directory.
            await first.Client.UpdateAsync(RecordTypes.Contact, id, new JsonObject { ["title"] = "still here" });
            await AssertRefusedAsync(directory.Path);
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = await CrmTestEngine.StartAsync(dataDirectory: directory.Path, cancellationToken: TestContext.Current.CancellationToken);
        var owner = await second.Client.GetAsync(RecordTypes.Contact, id);
        Assert.Equal(2, owner!.Version);
        Assert.Equal("still here", owner.GetString("title"));
    }

    [Fact]
    public async Task Directory_held_by_another_process_is_refused_until_that_process_lets_go()
    {
        using var directory = new TempDataDirectory();
        await using (var holder = CrashHostProcess.Start(CrashHostMode.Hold, directory.Path))
        {
            await holder.WaitUntilReadyAsync(Patience);
            var refused = await AssertRefusedAsync(directory.Path);
            Assert.Equal("locked", refused.Code);
            await holder.ReleaseAsync(Patience);
        }

        await using var engine = await CrmTestEngine.StartAsync(dataDirectory: directory.Path, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotNull(await engine.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["lastName"] = "Next" }));
    }

    [Fact]
    public async Task Directory_of_a_killed_process_opens_at_once()
    {
        using var directory = new TempDataDirectory();
        await using (var holder = CrashHostProcess.Start(CrashHostMode.Hold, directory.Path))
        {
            await holder.WaitUntilReadyAsync(Patience);
            await holder.KillAsync(Patience);
        }

        await using var engine = await CrmTestEngine.StartAsync(dataDirectory: directory.Path, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotNull(await engine.Client.CreateAsync(RecordTypes.Contact, new JsonObject { ["lastName"] = "Survivor" }));
    }

    /// <summary>Starting an engine on <paramref name="directory"/> fails with <see cref="DataDirectoryLockedException"/> naming it.</summary>
    private static async Task<DataDirectoryLockedException> AssertRefusedAsync(string directory)
    {
        CrmTestEngine? intruder = null;
        var thrown = await Record.ExceptionAsync(async () => intruder = await CrmTestEngine.StartAsync(dataDirectory: directory));
        if (intruder is not null) await intruder.DisposeAsync();

        Assert.NotNull(thrown);
        // The silo's start-up may wrap the store's error; what matters is that it is in there, saying which directory.
        var locked = FindLocked(thrown);
        Assert.True(locked is not null, $"Expected a {nameof(DataDirectoryLockedException)}, got: {thrown}");
        Assert.Equal(Path.GetFullPath(directory), Path.GetFullPath(locked.Path));
        Assert.Contains(directory, locked.Message, StringComparison.Ordinal);
        return locked;
    }

    private static DataDirectoryLockedException? FindLocked(Exception? exception) => exception switch
    {
        null => null,
        DataDirectoryLockedException locked => locked,
        AggregateException aggregate => aggregate.InnerExceptions.Select(FindLocked).FirstOrDefault(l => l is not null),
        _ => FindLocked(exception.InnerException),
    };
}
