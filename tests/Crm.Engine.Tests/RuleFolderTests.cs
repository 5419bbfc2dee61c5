using System.Text.Json.Nodes;
using Crm.Engine.Rules;
using Crm.Engine.Testing;

namespace Crm.Engine.Tests;

/// <summary>Rules an embedder ships as <c>.js</c> files in a folder: they apply to every tenant; a broken file is skipped.</summary>
public sealed class RuleFolderTests : IAsyncLifetime
{
    private readonly string _rules = Directory.CreateTempSubdirectory("crm-rule-folder-").FullName;
    private CrmTestEngine _crm = null!;

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_rules, "Welcome-Tag.js"),
            """export default { on: "contact.created", stage: "enrich", then: (e, act) => act.addTag("welcome") };""");
        await File.WriteAllTextAsync(Path.Combine(_rules, "broken.js"), "export default { on: ");
        await File.WriteAllTextAsync(Path.Combine(_rules, "nightly.js"), """export default { on: "schedule", cron: "0 2 * * *", then: () => {} };""");
        await File.WriteAllTextAsync(Path.Combine(_rules, "notes.txt"), "not a rule");
        _crm = await CrmTestEngine.StartAsync(configure: o => o.Rules.Folders.Add(_rules), cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        Directory.Delete(_rules, recursive: true);
    }

    [Fact]
    public async Task A_folder_rule_applies_to_every_tenant_and_a_broken_file_is_skipped()
    {
        foreach (var tenant in new[] { "default", "acme" })
        {
            var crm = _crm.ForTenant(tenant);
            var contact = await crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["firstName"] = "Flo" });
            Assert.Equal(["welcome"], contact.Fields["tags"]!.AsArray().Select(t => (string?)t));
            Assert.Equal(Actor.Rule("welcome-tag", 1), (await crm.GetHistoryAsync(RecordTypes.Contact, contact.Id)).Items.Last().Actor);
        }

        var listed = await _crm.ForTenant("acme").Rules.ListAsync();
        var rule = Assert.Single(listed).Rule;
        Assert.Equal(("welcome-tag", RuleOrigin.Folder, "javascript"), (rule.Id, rule.Origin, rule.Language));
    }
}
