using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>The role × resource × ownership matrix of docs/security.md, on every route family.</summary>
public sealed class RoleTests(CrmServerFixture fixture)
{
    private static readonly string[] WorkResources = ["contacts", "accounts", "deals", "cases", "interactions", "tasks"];
    private static readonly string[] UpsertResources = ["contacts", "accounts", "deals", "cases"];

    public static TheoryData<string, string> RolesAndResources()
    {
        var data = new TheoryData<string, string>();
        foreach (var role in new[] { "admin", "manager", "agent", "readonly" })
        {
            foreach (var resource in CrmHttpClient.ResourceNames) data.Add(role, resource);
        }

        return data;
    }

    private static bool MayWrite(string role, string resource) => role switch
    {
        "admin" => true,
        "manager" => resource != "users",
        "agent" => WorkResources.Contains(resource),
        _ => false,
    };

    private async Task<(TenantScope Tenant, CrmHttpClient Caller, string UserId)> CallerAsync(string role)
    {
        var tenant = await fixture.NewTenantAsync();
        if (role == "admin") return (tenant, tenant.Admin, "admin");
        var user = await tenant.AddUserAsync(role switch { "manager" => ApiRole.Manager, "agent" => ApiRole.Agent, _ => ApiRole.ReadOnly });
        return (tenant, user.Client, user.UserId);
    }

    private static async Task ForbiddenAsync(Func<Task> call, string what)
    {
        var error = await Assert.ThrowsAsync<CrmApiException>(call);
        Assert.True(error.StatusCode == HttpStatusCode.Forbidden, $"{what}: expected 403, got {(int)error.StatusCode} {error.Body}");
        Assert.Equal(ProblemTypes.Forbidden, error.ProblemType);
        Assert.Equal("application/problem+json", error.ContentType);
    }

    [Theory]
    [MemberData(nameof(RolesAndResources))]
    public async Task Each_role_writes_what_the_matrix_allows_gets_403_otherwise_and_reads_everything_in_its_scope(string role, string resource)
    {
        var (tenant, caller, _) = await CallerAsync(role);
        var mine = caller.Records(resource);
        var asAdmin = tenant.Admin.Records(resource);
        var target = await asAdmin.CreateAsync(Samples.NewRecord(resource));
        var contact = await tenant.Admin.Contacts.CreateAsync(Samples.NewRecord("contacts"));
        var (field, value) = Samples.Change(resource);

        if (MayWrite(role, resource))
        {
            var created = await mine.CreateAsync(Samples.NewRecord(resource));
            Assert.NotNull(created.Location);
            await mine.PatchAsync(target.Id, new JsonObject { [field] = value.DeepClone() });
            Assert.Equal(1, (await mine.BatchAsync([Samples.NewRecord(resource)], TestData.Cancel)).Succeeded);
            if (UpsertResources.Contains(resource)) Assert.True((await mine.UpsertByExternalIdAsync("ext-" + role, Samples.NewRecord(resource))).Created);
            if (WorkResources.Contains(resource) && resource != "contacts") await mine.LinkAsync(target.Id, "contact", contact.Id);
            await mine.DeleteAsync(target.Id);
            await mine.RestoreAsync(target.Id);
        }
        else
        {
            var before = await tenant.Admin.FingerprintAsync();
            await ForbiddenAsync(() => mine.CreateAsync(Samples.NewRecord(resource)), "create");
            await ForbiddenAsync(() => mine.PatchAsync(target.Id, new JsonObject { [field] = value.DeepClone() }), "patch");
            await ForbiddenAsync(() => mine.BatchAsync([Samples.NewRecord(resource)], TestData.Cancel), "batch");
            if (UpsertResources.Contains(resource)) await ForbiddenAsync(() => mine.UpsertByExternalIdAsync("ext-1", Samples.NewRecord(resource)), "upsert");
            await ForbiddenAsync(() => mine.LinkAsync(target.Id, "contact", contact.Id), "link");
            await ForbiddenAsync(() => mine.UnlinkAsync(target.Id, "contact", contact.Id), "unlink");
            await ForbiddenAsync(() => mine.DeleteAsync(target.Id), "delete");
            Assert.Equal(before, await tenant.Admin.FingerprintAsync());

            await asAdmin.DeleteAsync(target.Id);
            await ForbiddenAsync(() => mine.RestoreAsync(target.Id), "restore");
            Assert.Null(await asAdmin.TryGetAsync(target.Id));
            await asAdmin.RestoreAsync(target.Id);
            Assert.Equal(target.Version + 2, (await asAdmin.GetAsync(target.Id)).Version);
        }

        // Reads: the admin's unowned record is in everyone's scope.
        Assert.Equal(target.Id, (await mine.GetAsync(target.Id)).Id);
        Assert.Equal(target.Id, (await mine.GetAsync(target.Id, asOf: DateTimeOffset.UtcNow)).Id);
        Assert.Contains(await mine.IdsAsync(), id => id == target.Id);
        Assert.NotEmpty((await mine.GetHistoryAsync(target.Id)).Items);
        Assert.NotEmpty((await mine.GetTimelineAsync(target.Id)).Items);
    }

    [Theory]
    [InlineData("admin", true)]
    [InlineData("manager", true)]
    [InlineData("agent", false)]
    [InlineData("readonly", false)]
    public async Task Only_managers_and_admins_list_deleted_records(string role, bool allowed)
    {
        var (tenant, caller, _) = await CallerAsync(role);
        var gone = await tenant.Admin.Contacts.CreateAsync(Samples.NewRecord("contacts"));
        await tenant.Admin.Contacts.DeleteAsync(gone.Id);

        if (allowed)
        {
            var all = await caller.Contacts.AllAsync(includeDeleted: true);
            Assert.True(Assert.Single(all, c => c.Id == gone.Id).Deleted);
        }
        else
        {
            await ForbiddenAsync(() => caller.Contacts.AllAsync(includeDeleted: true), "includeDeleted");
        }

        Assert.DoesNotContain(await caller.Contacts.IdsAsync(), id => id == gone.Id);
    }

    [Fact]
    public async Task An_agent_neither_reads_nor_writes_records_owned_by_someone_else_on_any_route()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent, "agent-a");
        var other = await tenant.AddUserAsync(ApiRole.Agent, "agent-b");
        var admin = tenant.Admin;
        var theirs = await admin.Contacts.CreateAsync(new JsonObject
        {
            ["firstName"] = "Hidden", ["lastName"] = "Zebedee", ["email"] = "hidden@example.com", ["ownerId"] = other.UserId, ["externalId"] = "x-hidden",
        });
        var unowned = await admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Shared", ["lastName"] = "Zebedee" });
        var own = await agent.Client.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Mine", ["lastName"] = "Zebedee" });
        Assert.Equal(agent.UserId, own.GetString("ownerId"));
        var theirCase = await admin.Cases.CreateAsync(new JsonObject { ["subject"] = "Their case", ["assigneeId"] = other.UserId });
        var theirTask = await admin.Tasks.CreateAsync(new JsonObject { ["title"] = "Their task", ["assigneeId"] = other.UserId });
        var at = DateTimeOffset.UtcNow;
        var me = agent.Client;

        async Task NotFoundAsync(Func<Task> call, string what)
        {
            var error = await Assert.ThrowsAsync<CrmApiException>(call);
            Assert.True(error.StatusCode == HttpStatusCode.NotFound, $"{what}: expected 404, got {(int)error.StatusCode} {error.Body}");
        }

        await NotFoundAsync(() => me.Contacts.GetAsync(theirs.Id), "get");
        await NotFoundAsync(() => me.Contacts.GetAsync(theirs.Id, asOf: at), "asOf");
        await NotFoundAsync(() => me.Contacts.GetHistoryAsync(theirs.Id), "history");
        await NotFoundAsync(() => me.Contacts.GetTimelineAsync(theirs.Id), "timeline");
        await NotFoundAsync(() => me.Contacts.PatchAsync(theirs.Id, new JsonObject { ["title"] = "x" }), "patch");
        await NotFoundAsync(() => me.Contacts.DeleteAsync(theirs.Id), "delete");
        await NotFoundAsync(() => me.Contacts.RestoreAsync(theirs.Id), "restore");
        await NotFoundAsync(() => me.Contacts.LinkAsync(theirs.Id, "account", "a-1"), "link");
        await NotFoundAsync(() => me.Contacts.UnlinkAsync(theirs.Id, "account", "a-1"), "unlink");
        await NotFoundAsync(() => me.Consent.GetAsync(theirs.Id), "consent get");
        await NotFoundAsync(() => me.Consent.CheckAsync(theirs.Id, "hidden@example.com", "sales", "email"), "consent check");
        await NotFoundAsync(() => me.Consent.SetAsync(theirs.Id, "marketing", "email", new ConsentDecisionRequest { Status = "granted", Source = "x" }), "consent put");
        await NotFoundAsync(() => me.Contacts.UpsertByExternalIdAsync("x-hidden", new JsonObject { ["title"] = "x" }), "upsert");
        await NotFoundAsync(() => me.Cases.GetAsync(theirCase.Id), "case get");
        await NotFoundAsync(() => me.RespondToCaseAsync(theirCase.Id), "case respond");
        await NotFoundAsync(() => me.Tasks.GetAsync(theirTask.Id), "task get");
        var row = Assert.Single((await me.Contacts.BatchAsync([new JsonObject { ["id"] = theirs.Id, ["title"] = "x" }], TestData.Cancel)).Results);
        Assert.Equal(404, row.Status);

        // Lists, searches, filters and paging see own and unowned records only.
        Assert.Equal([unowned.Id, own.Id], (await me.Contacts.IdsAsync()).Order());
        Assert.Equal([unowned.Id, own.Id], (await me.Contacts.IdsAsync(q: "zebedee")).Order());
        Assert.Empty(await me.Contacts.IdsAsync(q: "hidden"));
        Assert.Empty(await me.Contacts.IdsAsync(q: "hidden@example.com"));
        Assert.Empty(await me.Contacts.IdsAsync($"ownerId eq \"{other.UserId}\""));
        Assert.Empty(await me.Contacts.IdsAsync("firstName eq \"Hidden\" or lastName eq \"Zebedee\" and not ownerId exists and ownerId exists"));
        var paged = await me.Contacts.ListAllAsync(new ListQuery { Limit = 1 }, TestData.Cancel).ToListAsync(TestData.Cancel);
        Assert.Equal(2, paged.Count);
        Assert.Empty(await me.Cases.IdsAsync());
        Assert.Empty(await me.Tasks.IdsAsync());

        // Agents own what they create, and may not give records away.
        await ForbiddenAsync(() => me.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Gift", ["ownerId"] = other.UserId }), "create for another");
        await ForbiddenAsync(() => me.Contacts.PatchAsync(own.Id, new JsonObject { ["ownerId"] = other.UserId }), "hand over");
        await ForbiddenAsync(() => me.Contacts.UpsertByExternalIdAsync("x-new", new JsonObject { ["firstName"] = "Gift", ["ownerId"] = other.UserId }), "upsert for another");
        var task = await me.Tasks.CreateAsync(new JsonObject { ["title"] = "Call back" });
        Assert.Equal(agent.UserId, task.GetString("assigneeId"));

        // Nothing of theirs changed.
        Assert.Equal(theirs.Version, (await admin.Contacts.GetAsync(theirs.Id)).Version);
        Assert.Empty(await admin.Consent.GetAsync(theirs.Id));
    }

    [Fact]
    public async Task Managers_and_readonly_users_read_every_record_whoever_owns_it()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        var manager = await tenant.AddUserAsync(ApiRole.Manager);
        var reader = await tenant.AddUserAsync(ApiRole.ReadOnly);
        var theirs = await agent.Client.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Owned" });

        foreach (var user in new[] { manager, reader })
        {
            Assert.Equal(theirs.Id, (await user.Client.Contacts.GetAsync(theirs.Id)).Id);
            Assert.Contains(theirs.Id, await user.Client.Contacts.IdsAsync(q: "owned"));
            Assert.NotEmpty((await user.Client.Contacts.GetHistoryAsync(theirs.Id)).Items);
        }

        await manager.Client.Contacts.PatchAsync(theirs.Id, new JsonObject { ["title"] = "Reassigned", ["ownerId"] = manager.UserId });
        await Assert.ThrowsAsync<CrmApiException>(() => agent.Client.Contacts.GetAsync(theirs.Id));
    }

    [Fact]
    public async Task A_timeline_leaves_out_linked_records_the_agent_may_not_read()
    {
        var tenant = await fixture.NewTenantAsync();
        var agent = await tenant.AddUserAsync(ApiRole.Agent);
        var other = await tenant.AddUserAsync(ApiRole.Agent);
        var contact = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Shared" });
        var visible = await agent.Client.Interactions.CreateAsync(new JsonObject { ["kind"] = "call", ["subject"] = "Mine" });
        await agent.Client.Interactions.LinkAsync(visible.Id, "contact", contact.Id);
        var hidden = await other.Client.Interactions.CreateAsync(new JsonObject { ["kind"] = "note", ["subject"] = "Theirs" });
        await other.Client.Interactions.LinkAsync(hidden.Id, "contact", contact.Id);

        var everything = await tenant.Admin.Contacts.GetTimelineAsync(contact.Id);
        Assert.Contains(everything.Items, e => e.Stream == $"interaction/{hidden.Id}");
        var agentView = await agent.Client.Contacts.GetTimelineAsync(contact.Id);
        Assert.Contains(agentView.Items, e => e.Stream == $"interaction/{visible.Id}");
        Assert.DoesNotContain(agentView.Items, e => e.Stream == $"interaction/{hidden.Id}");
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("manager")]
    [InlineData("agent")]
    [InlineData("readonly")]
    public async Task Settings_keys_and_tenants_are_for_admins_and_me_is_for_everyone(string role)
    {
        var (tenant, caller, userId) = await CallerAsync(role);
        var isAdmin = role == "admin";

        var me = await caller.GetMeAsync();
        Assert.Equal((tenant.Id, userId, role), (me.Tenant, me.UserId, me.Role));

        Assert.NotNull((await caller.Settings.GetAsync())["timeZone"]);
        var user = isAdmin ? null : await tenant.AddUserAsync(ApiRole.Agent);
        if (isAdmin)
        {
            await caller.Settings.ChangeGeneralAsync(new JsonObject { ["timeZone"] = "Europe/Paris" });
            await caller.Settings.DefineCustomFieldAsync("contacts", "region", new JsonObject { ["type"] = "text" });
            await caller.Settings.RemoveCustomFieldAsync("contacts", "region");
            await caller.Settings.DefinePipelineAsync("sales", Pipeline());
            var key = await caller.Keys.CreateAsync("admin", ApiRole.ReadOnly, "report key");
            Assert.Contains(await caller.Keys.ListAsync(), k => k.KeyId == key.Info.KeyId);
            Assert.NotNull((await caller.Keys.RevokeAsync(key.Info.KeyId)).RevokedAt);
        }
        else
        {
            await ForbiddenAsync(() => caller.Settings.ChangeGeneralAsync(new JsonObject { ["timeZone"] = "Europe/Paris" }), "settings");
            await ForbiddenAsync(() => caller.Settings.DefineCustomFieldAsync("contacts", "region", new JsonObject { ["type"] = "text" }), "custom field");
            await ForbiddenAsync(() => caller.Settings.RemoveCustomFieldAsync("contacts", "region"), "remove custom field");
            await ForbiddenAsync(() => caller.Settings.DefinePipelineAsync("sales", Pipeline()), "pipeline");
            await ForbiddenAsync(() => caller.Keys.ListAsync(), "list keys");
            await ForbiddenAsync(() => caller.Keys.CreateAsync(user!.UserId, ApiRole.Admin), "issue key");
            await ForbiddenAsync(() => caller.Keys.RevokeAsync(user!.KeyId), "revoke key");
            Assert.Equal("UTC", (await tenant.Admin.Settings.GetAsync())["timeZone"]!.GetValue<string>());
        }

        // Only admins of the bootstrap tenant manage tenants; a tenant's own admin does not.
        await ForbiddenAsync(() => caller.Tenants.ListAsync(), "list tenants");
        await ForbiddenAsync(() => caller.Tenants.CreateAsync("t" + Guid.NewGuid().ToString("N")[..10]), "create tenant");
        Assert.Contains(await fixture.Server.Bootstrap.Tenants.ListAsync(), t => t.Id == tenant.Id);
    }

    [Theory]
    [InlineData("admin", true)]
    [InlineData("manager", true)]
    [InlineData("agent", true)]
    [InlineData("readonly", false)]
    public async Task Consent_and_case_responses_are_written_by_roles_that_write_contacts_and_cases(string role, bool allowed)
    {
        var (tenant, caller, _) = await CallerAsync(role);
        var contact = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["email"] = "ada@example.com" });
        var ticket = await tenant.Admin.Cases.CreateAsync(new JsonObject { ["subject"] = "Printer" });
        var decision = new ConsentDecisionRequest { Status = "granted", Source = "phone call" };

        if (allowed)
        {
            await caller.Consent.SetAsync(contact.Id, "newsletter", "email", decision);
            await caller.RespondToCaseAsync(ticket.Id);
        }
        else
        {
            await ForbiddenAsync(() => caller.Consent.SetAsync(contact.Id, "newsletter", "email", decision), "consent");
            await ForbiddenAsync(() => caller.RespondToCaseAsync(ticket.Id), "respond");
        }

        Assert.Equal(allowed ? 1 : 0, (await caller.Consent.GetAsync(contact.Id)).Count);
        Assert.Equal(allowed, (await caller.Consent.CheckAsync(contact.Id, "ada@example.com", "newsletter", "email")).Allowed);
    }

    private static JsonObject Pipeline() => TestData.Obj("""
        { "name": "Sales", "stages": [ { "id": "new", "name": "New", "probability": 10 }, { "id": "won", "name": "Won", "probability": 100, "isWon": true } ] }
        """);
}
