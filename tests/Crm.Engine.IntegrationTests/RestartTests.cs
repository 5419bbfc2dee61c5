using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Testing;

namespace Crm.Engine.IntegrationTests;

/// <summary>Stopping the engine and starting it again on the same directory changes nothing a user can see.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task Restart_keeps_records_history_settings_consent_timelines_and_search()
    {
        using var directory = new TempDataDirectory();
        await using var engine = await CrmTestEngine.StartAsync(dataDirectory: directory.Path, cancellationToken: TestContext.Current.CancellationToken);
        var crm = engine.ForTenant("acme", Actor.User("sam"));
        var scenario = await BuildScenarioAsync(crm);

        var before = await SnapshotAsync(crm, scenario);
        await engine.RestartAsync(TestContext.Current.CancellationToken);
        crm = engine.ForTenant("acme", Actor.User("sam"));
        var after = await SnapshotAsync(crm, scenario);

        Assert.Equal(before.Count, after.Count);
        for (var i = 0; i < before.Count; i++)
        {
            // Each line starts with what it shows, so a difference names the record, list or query that changed.
            Assert.Equal(before[i], after[i]);
        }

        // Writing goes on where it left off: the next version, and the unique email still claimed.
        var ann = (await crm.GetAsync(RecordTypes.Contact, scenario.Ann))!;
        var updated = await crm.UpdateAsync(RecordTypes.Contact, scenario.Ann, new JsonObject { ["title"] = "CTO" });
        Assert.Equal(ann.Version + 1, updated.Version);
        var duplicate = await Assert.ThrowsAsync<DuplicateRecordException>(() =>
            crm.CreateAsync(RecordTypes.Contact, new JsonObject { ["lastName"] = "Copy", ["email"] = "ann.lee@example.com" }));
        Assert.Equal(scenario.Ann, duplicate.ExistingId);
    }

    private sealed record Scenario(IReadOnlyList<(string Type, string Id)> Records, string Ann, string Bob, DateTimeOffset Midpoint);

    /// <summary>Settings with custom fields and a pipeline, contacts with consent, an account, a deal taken to won, a case resolved.</summary>
    private static async Task<Scenario> BuildScenarioAsync(ICrmClient crm)
    {
        await crm.DefineCustomFieldAsync(new CustomFieldDefinition { RecordType = RecordTypes.Contact, Name = "region", Type = CustomFieldType.Choice, Choices = ["EU", "US"] });
        await crm.DefineCustomFieldAsync(new CustomFieldDefinition { RecordType = RecordTypes.Contact, Name = "score", Type = CustomFieldType.Number });
        await crm.DefineCustomFieldAsync(new CustomFieldDefinition { RecordType = RecordTypes.Deal, Name = "channel", Type = CustomFieldType.Text, MaxLength = 40 });

        var ann = await crm.CreateAsync(RecordTypes.Contact, Json("""
            { "firstName": "Ann", "lastName": "Lee", "email": "Ann.Lee@Example.com", "phone": "+44 20 7946 0958",
              "company": "Initech", "tags": ["vip", "beta"], "custom": { "region": "eu", "score": 7.5 } }
            """));
        var midpoint = ann.UpdatedAt;

        await crm.ChangeSettingsAsync(new GeneralSettingsChange { TimeZone = "Europe/Berlin", BaseCurrency = "EUR", DefaultPhoneRegion = "GB" });
        await crm.DefinePipelineAsync(new Pipeline
        {
            Id = "renewals",
            Name = "Renewals",
            Stages = [new() { Id = "due", Name = "Due", Probability = 60 }, new() { Id = "renewed", Name = "Renewed", Probability = 100, IsWon = true }],
        });

        var bob = await crm.CreateAsync(RecordTypes.Contact, Json("""{ "firstName": "Bob", "lastName": "Stone", "email": "bob@example.com", "custom": { "region": "US" } }"""));
        var gone = await crm.CreateAsync(RecordTypes.Contact, Json("""{ "firstName": "Carl", "lastName": "Gone", "email": "carl@example.com" }"""));
        await crm.DeleteAsync(RecordTypes.Contact, gone.Id);
        await crm.UpdateAsync(RecordTypes.Contact, ann.Id, Json("""{ "title": "Head of IT", "lifecycleStage": "sql", "custom": { "score": 9 } }"""));

        await crm.SetConsentAsync(ann.Id, new ConsentChange
        {
            Purpose = "newsletter", Channel = Channels.Email, Address = "ann.lee@example.com", Status = ConsentStatus.Granted,
            Source = "web-form:newsletter", Proof = "Yes, send me the monthly newsletter.",
        });
        await crm.SetConsentAsync(ann.Id, new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Status = ConsentStatus.Withdrawn, Source = "phone call" });
        await crm.SetConsentAsync(bob.Id, new ConsentChange { Purpose = "newsletter", Channel = Channels.Email, Address = "bob@example.com", Status = ConsentStatus.Pending, Source = "import" });

        var account = await crm.CreateAsync(RecordTypes.Account, Json("""{ "name": "Initech", "domain": "initech.test", "size": 250 }"""));
        await crm.LinkAsync(RecordTypes.Account, account.Id, new RecordLink(RecordTypes.Contact, ann.Id, "Decision maker"));
        await crm.LinkAsync(RecordTypes.Account, account.Id, new RecordLink(RecordTypes.Contact, bob.Id, "Champion"));

        var deal = await crm.CreateAsync(RecordTypes.Deal, Json("""{ "name": "Initech rollout", "amount": 120000.50, "closeDate": "2031-03-31", "custom": { "channel": "partner" } }"""));
        await crm.LinkAsync(RecordTypes.Deal, deal.Id, new RecordLink(RecordTypes.Contact, ann.Id, "buyer"));
        await crm.LinkAsync(RecordTypes.Deal, deal.Id, new RecordLink(RecordTypes.Account, account.Id));
        foreach (var stage in new[] { "qualification", "proposal", "negotiation", "won" })
        {
            await crm.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["stage"] = stage });
        }

        var renewal = await crm.CreateAsync(RecordTypes.Deal, Json("""{ "name": "Initech renewal", "pipeline": "renewals", "amount": 8000 }"""));
        await crm.UpdateAsync(RecordTypes.Deal, renewal.Id, Json("""{ "stage": "renewed" }"""));

        var support = await crm.CreateAsync(RecordTypes.Case, Json("""{ "subject": "Printer on fire", "priority": "high", "description": "Smoke from tray 2." }"""));
        await crm.LinkAsync(RecordTypes.Case, support.Id, new RecordLink(RecordTypes.Contact, ann.Id));
        await crm.RecordCaseResponseAsync(support.Id);
        await crm.UpdateAsync(RecordTypes.Case, support.Id, Json("""{ "status": "open" }"""));
        await crm.UpdateAsync(RecordTypes.Case, support.Id, Json("""{ "status": "resolved" }"""));

        var call = await crm.CreateAsync(RecordTypes.Interaction, Json("""{ "kind": "call", "direction": "outbound", "subject": "Kick-off call", "durationMinutes": 25 }"""));
        await crm.LinkAsync(RecordTypes.Interaction, call.Id, new RecordLink(RecordTypes.Contact, ann.Id));

        // The call moves Ann's lastActivityAt in the background; the snapshot is taken once it has.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while ((await crm.GetAsync(RecordTypes.Contact, ann.Id))!.Fields["lastActivityAt"] is null)
            {
                await Task.Delay(20, timeout.Token);
            }
        }
        var task = await crm.CreateAsync(RecordTypes.Task, Json("""{ "title": "Send contract", "due": "2031-01-15T09:00:00Z", "priority": "high" }"""));
        await crm.LinkAsync(RecordTypes.Task, task.Id, new RecordLink(RecordTypes.Contact, bob.Id));

        // The scenario must be worth comparing: these facts are what the snapshot carries across the restart.
        var won = (await crm.GetAsync(RecordTypes.Deal, deal.Id))!;
        Assert.Equal(["prospecting", "qualification", "proposal", "negotiation", "won"], won.Fields["stageHistory"]!.AsArray().Select(s => s!["stage"]!.GetValue<string>()));
        Assert.Equal(2, (await crm.GetConsentAsync(ann.Id)).Count);
        Assert.Equal(3, (await crm.GetSettingsAsync()).CustomFields.Count);
        Assert.NotNull((await crm.GetAsync(RecordTypes.Case, support.Id))!.Fields["resolvedAt"]);
        Assert.Equal(ann.Id, Assert.Single((await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = "2079460958" })).Items).Id);
        Assert.Equal(ann.Id, Assert.Single((await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Filter = Filter.Eq("custom.region", "EU") })).Items).Id);

        IReadOnlyList<(string, string)> records =
        [
            (RecordTypes.Contact, ann.Id), (RecordTypes.Contact, bob.Id), (RecordTypes.Contact, gone.Id),
            (RecordTypes.Account, account.Id), (RecordTypes.Deal, deal.Id), (RecordTypes.Deal, renewal.Id),
            (RecordTypes.Case, support.Id), (RecordTypes.Interaction, call.Id), (RecordTypes.Task, task.Id),
        ];
        return new Scenario(records, ann.Id, bob.Id, midpoint);
    }

    /// <summary>Everything a user can read about the scenario, one line per thing, each line naming what it shows.</summary>
    private static async Task<IReadOnlyList<string>> SnapshotAsync(ICrmClient crm, Scenario scenario)
    {
        var lines = new List<string>();
        void Add(string what, object? value) => lines.Add(what + " = " + JsonSerializer.Serialize(value));

        foreach (var (type, id) in scenario.Records)
        {
            Add($"{type}/{id}", await crm.GetAsync(type, id));
            Add($"{type}/{id} as of midpoint", await crm.GetAsync(type, id, scenario.Midpoint));
            Add($"{type}/{id} history", await AllHistoryAsync(crm, type, id));
            Add($"{type}/{id} timeline", await AllTimelineAsync(crm, type, id));
        }

        Add("settings", await crm.GetSettingsAsync());
        Add("settings as of midpoint", await crm.GetSettingsAsync(scenario.Midpoint));

        foreach (var (contact, address) in new[] { (scenario.Ann, "ann.lee@example.com"), (scenario.Bob, "bob@example.com") })
        {
            Add($"consent of {contact}", await crm.GetConsentAsync(contact));
            Add($"consent of {contact} as of midpoint", await crm.GetConsentAsync(contact, scenario.Midpoint));
            foreach (var purpose in new[] { "newsletter", "marketing", "sales", "service" })
            {
                Add($"may {contact} be emailed at {address} for {purpose}", await crm.MayContactAsync(contact, address, purpose, Channels.Email));
            }
        }

        var queries = new (string Name, string Type, RecordQuery Query)[]
        {
            ("contacts matching 'ann'", RecordTypes.Contact, new RecordQuery { Text = "ann" }),
            ("contacts matching 'initech'", RecordTypes.Contact, new RecordQuery { Text = "initech" }),
            ("contacts matching a national phone number", RecordTypes.Contact, new RecordQuery { Text = "2079460958" }),
            ("contacts in region EU", RecordTypes.Contact, new RecordQuery { Filter = Filter.Eq("custom.region", "EU") }),
            ("contacts at sql or emailed bob, by last name", RecordTypes.Contact, new RecordQuery { Filter = Filter.Eq("lifecycleStage", "sql") | Filter.Eq("email", "bob@example.com"), SortBy = "lastName" }),
            ("contacts with deleted ones, by last name descending", RecordTypes.Contact, new RecordQuery { IncludeDeleted = true, SortBy = "lastName", Descending = true }),
            ("accounts matching 'initech'", RecordTypes.Account, new RecordQuery { Text = "initech" }),
            ("deals by amount descending", RecordTypes.Deal, new RecordQuery { SortBy = "amount", Descending = true }),
            ("deals won", RecordTypes.Deal, new RecordQuery { Filter = Filter.Eq("stage", "won") }),
            ("cases resolved", RecordTypes.Case, new RecordQuery { Filter = Filter.Eq("status", "resolved") }),
            ("tasks matching 'contract'", RecordTypes.Task, new RecordQuery { Text = "contract" }),
        };
        foreach (var (name, type, query) in queries)
        {
            Add(name, await crm.QueryAsync(type, query));
        }

        // Paging one record at a time walks the same cursors before and after.
        var paged = new List<CrmRecord>();
        string? cursor = null;
        do
        {
            var page = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Limit = 1, Cursor = cursor, IncludeDeleted = true });
            paged.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);
        Add("contacts one page at a time", paged);
        return lines;
    }

    private static async Task<List<CrmEvent>> AllHistoryAsync(ICrmClient crm, string type, string id)
    {
        var all = new List<CrmEvent>();
        string? cursor = null;
        do
        {
            var page = await crm.GetHistoryAsync(type, id, cursor, limit: 2);
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);
        return all;
    }

    private static async Task<List<CrmEvent>> AllTimelineAsync(ICrmClient crm, string type, string id)
    {
        var all = new List<CrmEvent>();
        string? cursor = null;
        do
        {
            var page = await crm.GetTimelineAsync(type, id, cursor, limit: 3);
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);
        return all;
    }

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();
}
