using System.Text.Json.Nodes;
using Crm.Cli.Targets;
using Crm.Engine;
using Crm.Engine.Client;

namespace Crm.Cli.Tests;

/// <summary>The CLI beside a running Crm.Server: the lock, remote import and export, keys and tenants, backup and restore.</summary>
public sealed class ServerTests
{
    [Fact]
    public async Task A_data_directory_a_server_holds_is_refused_with_a_pointer_to_url()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        await using var server = await TestServer.StartAsync(data);
        var csv = dir.File("c.csv");
        await File.WriteAllTextAsync(csv, "email\na@example.com\n", TestContext.Current.CancellationToken);

        var (exit, output) = await CliRun.RunAsync("import", "contacts", csv, "--data", data);
        var (exportExit, exportOutput) = await CliRun.RunAsync("export", "contacts", "--out", dir.File("out.csv"), "--data", data);

        Assert.Equal(CliApp.Refused, exit);
        Assert.Contains($"The data directory '{Path.GetFullPath(data)}' is in use by a running server", output);
        Assert.Contains("--url", output);
        Assert.Equal(CliApp.Refused, exportExit);
        Assert.Contains("is in use by a running server", exportOutput);
        // The server was not disturbed and nothing was imported behind its back.
        var page = await server.Admin.Contacts.ListAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty(page.Items);
    }

    [Fact]
    public async Task Import_through_a_server_with_url_and_key_from_the_environment()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"));
        var csv = dir.File("contacts.csv");
        await File.WriteAllTextAsync(csv, ImportTests.MessyCsv, TestContext.Current.CancellationToken);
        var env = new Dictionary<string, string> { ["CRM_URL"] = server.Url, ["CRM_KEY"] = server.AdminKey };

        var (exit, output) = await CliRun.RunWithAsync(env, "import", "contacts", csv);
        var (againExit, againOutput) = await CliRun.RunWithAsync(env, "import", "contacts", csv);

        Assert.Equal((0, 0), (exit, againExit));
        Assert.Contains("created 5, updated 0, unchanged 0, merged 2, rejected 4, blank 1", output);
        Assert.Contains("created 0, updated 0, unchanged 5, merged 2, rejected 4, blank 1", againOutput);
        var zoe = (await server.Admin.Contacts.ListAsync(new ListQuery { Filter = "email eq \"zoe@example.com\"" }, TestContext.Current.CancellationToken)).Items.Single();
        Assert.Equal("Acme\nLabs", zoe.GetString("company"));
    }

    [Fact]
    public async Task A_wrong_key_is_reported_by_the_server_and_fails()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"));

        var (exit, output) = await CliRun.RunAsync("users", "list", "--url", server.Url, "--key", "not-a-key");

        Assert.Equal(CliApp.Failed, exit);
        Assert.Contains("401", output);
    }

    [Fact]
    public async Task Tenants_users_and_keys_are_managed_through_the_server()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"));
        string[] admin = ["--url", server.Url, "--key", server.AdminKey];

        var (tenantExit, tenantOutput) = await CliRun.RunAsync(["tenants", "create", "acme", "--name", "Acme Ltd", .. admin]);
        var acmeKey = tenantOutput.Split("Admin key (shown once): ")[1].Split('\n')[0].Trim();
        var (_, tenants) = await CliRun.RunAsync(["tenants", "list", .. admin]);
        string[] acme = ["--url", server.Url, "--key", acmeKey];
        var (userExit, userOutput) = await CliRun.RunAsync(["users", "create", "Agent Smith", "--email", "smith@acme.example", "--role", "agent", .. acme]);
        var userId = userOutput.Split("Created user ")[1].Split(' ')[0];
        var (keyExit, keyOutput) = await CliRun.RunAsync(["keys", "create", userId, "--role", "agent", "--name", "smith laptop", .. acme]);
        var agentKey = keyOutput.Split("Key (shown once): ")[1].Split('\n')[0].Trim();
        var keyId = keyOutput.Split("Created key ")[1].Split(' ')[0];
        var me = await server.Admin.WithApiKey(agentKey).GetMeAsync(TestContext.Current.CancellationToken);
        var (_, keys) = await CliRun.RunAsync(["keys", "list", .. acme]);
        var (revokeExit, _) = await CliRun.RunAsync(["keys", "revoke", keyId, .. acme]);
        var (_, users) = await CliRun.RunAsync(["users", "list", .. acme]);

        Assert.Equal((0, 0, 0, 0), (tenantExit, userExit, keyExit, revokeExit));
        Assert.Contains("acme", tenants);
        Assert.Contains("Acme Ltd", tenants);
        Assert.Equal(("acme", userId, "agent"), (me.Tenant, me.UserId, me.Role));
        Assert.Contains("smith laptop", keys);
        Assert.Contains("smith@acme.example", users);
        var revoked = await Assert.ThrowsAsync<CrmApiException>(() => server.Admin.WithApiKey(agentKey).GetMeAsync(TestContext.Current.CancellationToken));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, revoked.StatusCode);
    }

    [Fact]
    public async Task Keys_on_a_data_directory_are_refused_with_a_pointer_to_the_server()
    {
        using var dir = new TempDirectory();

        var (exit, output) = await CliRun.RunAsync("keys", "list", "--data", dir.File("data"));

        Assert.Equal(CliApp.Refused, exit);
        Assert.Contains("keys are managed by a server: run this with --url", output);
        Assert.False(Directory.Exists(dir.File("data")));
    }

    [Fact]
    public async Task Backup_of_a_live_server_restores_to_a_new_directory_with_identical_query_results()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        await using var server = await TestServer.StartAsync(data);
        string[] remote = ["--url", server.Url, "--key", server.AdminKey];
        var csv = dir.File("contacts.csv");
        await File.WriteAllTextAsync(csv, ImportTests.MessyCsv, TestContext.Current.CancellationToken);
        Assert.Equal(0, (await CliRun.RunAsync(["import", "contacts", csv, .. remote])).Exit);
        // Writes keep coming while the backup runs: the backup holds everything committed before it started.
        var lastBefore = await server.Admin.Contacts.CreateAsync(new JsonObject { ["email"] = "last@example.com", ["lastName"] = "Before" }, cancellationToken: TestContext.Current.CancellationToken);
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !writing.IsCancellationRequested; i++)
            {
                await server.Admin.Contacts.CreateAsync(new JsonObject { ["lastName"] = "During " + i }, cancellationToken: CancellationToken.None);
            }
        }, CancellationToken.None);

        var (backupExit, backupOutput) = await CliRun.RunAsync("backup", dir.File("crm-backup.db"), "--data", data);
        await writing.CancelAsync();
        await writer;

        Assert.Equal(0, backupExit);
        Assert.Contains("Backed up", backupOutput);
        var restored = dir.File("restored");
        var (restoreExit, restoreOutput) = await CliRun.RunAsync("restore", dir.File("crm-backup.db"), "--data", restored);
        Assert.Equal(0, restoreExit);
        Assert.Contains("Restored", restoreOutput);

        // Every record the backup holds reads the same as on the live server (same ids, versions, fields).
        await using var engine = await EmbeddedTarget.StartAsync(restored, "default", TestContext.Current.CancellationToken);
        var copy = await engine.Client.QueryAsync(RecordTypes.Contact, new RecordQuery { Limit = 1000 });
        Assert.Contains(copy.Items, c => c.Id == lastBefore.Id);
        foreach (var record in copy.Items)
        {
            var live = await server.Admin.Contacts.GetAsync(record.Id, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(live.Version, record.Version);
            Assert.Equal(live.GetString("email"), record.GetString("email"));
            Assert.Equal(live.GetString("lastName"), record.GetString("lastName"));
        }

        var query = new RecordQuery { Text = "ada", Limit = 100 };
        var searchLive = await server.Admin.Contacts.ListAsync(new ListQuery { Q = "lovelace" }, TestContext.Current.CancellationToken);
        var searchCopy = await engine.Client.QueryAsync(RecordTypes.Contact, query with { Text = "lovelace" });
        Assert.Equal(searchLive.Items.Select(r => r.Id), searchCopy.Items.Select(r => r.Id));
        var filterLive = await server.Admin.Contacts.ListAsync(new ListQuery { Filter = "company startsWith \"Acme\"" }, TestContext.Current.CancellationToken);
        var filterCopy = await engine.Client.QueryAsync(RecordTypes.Contact, new RecordQuery { Filter = Filter.Compare("company", FilterOperator.StartsWith, "Acme") });
        Assert.Single(filterCopy.Items);
        Assert.Equal(filterLive.Items.Select(r => r.Id), filterCopy.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Restore_refuses_a_directory_that_is_not_empty_or_that_a_server_holds()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        await using var server = await TestServer.StartAsync(data);
        Assert.Equal(0, (await CliRun.RunAsync("backup", dir.File("b.db"), "--data", data)).Exit);
        var occupied = dir.File("occupied");
        Directory.CreateDirectory(occupied);
        await File.WriteAllTextAsync(Path.Combine(occupied, "notes.txt"), "keep me", TestContext.Current.CancellationToken);

        var (heldExit, heldOutput) = await CliRun.RunAsync("restore", dir.File("b.db"), "--data", data);
        var (fullExit, fullOutput) = await CliRun.RunAsync("restore", dir.File("b.db"), "--data", occupied);

        Assert.Equal((CliApp.Refused, CliApp.Refused), (heldExit, fullExit));
        Assert.Contains("is in use by a running server", heldOutput);
        Assert.Contains("is not empty", fullOutput);
        Assert.Equal(["notes.txt"], Directory.GetFiles(occupied).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Rule_backtest_of_a_saved_rule_runs_on_the_server()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"));
        await server.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["tags"] = new JsonArray("vip") }, cancellationToken: TestContext.Current.CancellationToken);
        await server.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Bob" }, cancellationToken: TestContext.Current.CancellationToken);
        var rule = new JsonObject
        {
            ["id"] = "vip-call",
            ["enabled"] = false,
            ["source"] = """export default { on: "contact.created", when: e => (e.after.tags ?? []).includes("vip"), then: (e, act) => act.addTag("call") };""",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/rules") { Content = new StringContent(rule.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", server.AdminKey);
        (await server.Http.SendAsync(request, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var (exit, output) = await CliRun.RunAsync("rules", "backtest", "vip-call", "--url", server.Url, "--key", server.AdminKey);
        var (missingExit, missingOutput) = await CliRun.RunAsync("rules", "backtest", "no-such-rule", "--url", server.Url, "--key", server.AdminKey);

        Assert.Equal(0, exit);
        Assert.Matches(@"│ vip-call\s+│ 1\s+│ 2\s+│ 1\s+│ 1\s+│ addTag: 1", output);
        Assert.Equal(CliApp.Failed, missingExit);
        Assert.Contains("The server refused", missingOutput);
    }
}
