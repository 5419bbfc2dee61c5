using System.Text.Json.Nodes;
using Crm.Cli.Targets;
using Crm.Engine;

namespace Crm.Cli.Tests;

/// <summary><c>crm export</c> (round trip with import) and <c>crm rules test|backtest</c>.</summary>
public sealed class ExportAndRuleTests
{
    private const string VipRule = """
        export default {
          on: "contact.created",
          when: e => (e.after.tags ?? []).includes("vip"),
          then: (e, act) => act.createTask({ title: `Call ${e.after.firstName}`, priority: "high" }),
        };
        """;

    [Fact]
    public async Task Export_writes_every_field_and_imports_back_unchanged()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        var csv = dir.File("contacts.csv");
        await File.WriteAllTextAsync(csv, ImportTests.MessyCsv, TestContext.Current.CancellationToken);
        Assert.Equal(0, (await CliRun.RunAsync("import", "contacts", csv, "--data", data)).Exit);

        var (exit, output) = await CliRun.RunAsync("export", "contacts", "--out", dir.File("export.csv"), "--data", data);
        var (filteredExit, filteredOutput) = await CliRun.RunAsync("export", "contacts", "--out", dir.File("vip.csv"), "--data", data, "--filter", "tags contains \"vip\"");
        var (againExit, againOutput) = await CliRun.RunAsync("import", "contacts", dir.File("export.csv"), "--data", data);

        Assert.Equal((0, 0, 0), (exit, filteredExit, againExit));
        Assert.Contains("Exported 5 contacts", output);
        Assert.Contains("Exported 1 contacts", filteredOutput);
        var text = await File.ReadAllTextAsync(dir.File("export.csv"), TestContext.Current.CancellationToken);
        Assert.StartsWith("id,firstName,lastName,email,", text);
        Assert.Contains("\"Analytical Engines, Ltd.\"", text);
        Assert.Contains("vip;math", text);
        Assert.Contains("\"Acme\nLabs\"", text);
        Assert.Contains("created 0, updated 0, unchanged 5, merged 0, rejected 0, blank 0 — 5 rows", againOutput);
    }

    [Fact]
    public async Task Rule_test_shows_whether_a_rule_matches_an_event_and_its_actions()
    {
        using var dir = new TempDirectory();
        var rule = dir.File("vip.js");
        await File.WriteAllTextAsync(rule, VipRule, TestContext.Current.CancellationToken);

        var (exit, output) = await CliRun.RunAsync("rules", "test", rule, "--event", """{"trigger":"contact.created","after":{"firstName":"Ada","tags":["vip"]}}""");
        var (missExit, missOutput) = await CliRun.RunAsync("rules", "test", rule, "--event", """{"trigger":"contact.created","after":{"firstName":"Bob"}}""");
        await File.WriteAllTextAsync(rule, "export default { on: \"contact.created\", then: (e, act) => eval('1') };", TestContext.Current.CancellationToken);
        var (badExit, badOutput) = await CliRun.RunAsync("rules", "test", rule, "--event", """{"trigger":"contact.created","after":{}}""");

        Assert.Equal((0, 0, CliApp.Failed), (exit, missExit, badExit));
        Assert.Contains("matched on contact.created: 1 action(s)", output);
        Assert.Contains("createTask", output);
        Assert.Contains("Call Ada", output);
        Assert.Contains("did not match", missOutput);
        Assert.Contains("The rule cannot run", badOutput);
    }

    [Fact]
    public async Task Rule_backtest_counts_what_a_draft_would_have_done_over_stored_history()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        var csv = dir.File("contacts.csv");
        await File.WriteAllTextAsync(csv, ImportTests.MessyCsv, TestContext.Current.CancellationToken);
        Assert.Equal(0, (await CliRun.RunAsync("import", "contacts", csv, "--data", data)).Exit);
        var rule = dir.File("vip.js");
        await File.WriteAllTextAsync(rule, VipRule, TestContext.Current.CancellationToken);

        var (exit, output) = await CliRun.RunAsync("rules", "backtest", rule, "--data", data);

        Assert.Equal(0, exit);
        Assert.Matches(@"│ vip\s+│ \d+\s+│ 5\s+│ 1\s+│ 1\s+│ createTask: 1", output);
        await using var engine = await EmbeddedTarget.StartAsync(data, "default", TestContext.Current.CancellationToken);
        var tasks = await engine.Client.QueryAsync(RecordTypes.Task, new RecordQuery());
        Assert.Empty(tasks.Items);
    }
}
