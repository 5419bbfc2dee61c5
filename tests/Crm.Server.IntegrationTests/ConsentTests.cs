using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

public sealed class ConsentTests(CrmServerFixture fixture)
{
    [Fact]
    public async Task A_granted_consent_is_listed_allows_contact_and_shows_on_the_contact()
    {
        var tenant = await fixture.NewTenantAsync();
        var ada = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["email"] = "ada@example.com" });

        var raw = await fixture.Server.SendAsync(HttpMethod.Put, $"api/v1/contacts/{ada.Id}/consent/newsletter/email", tenant.AdminKey,
            """{"status":"granted","source":"signup form","proof":"Yes, send me the newsletter.","lawfulBasis":"consent"}""");
        Assert.Equal(HttpStatusCode.OK, raw.Status);
        Assert.Equal("granted", raw.Json["status"]!.GetValue<string>());

        var entry = Assert.Single(await tenant.Admin.Consent.GetAsync(ada.Id));
        Assert.Equal(("newsletter", "email", "granted", "consent", "signup form", "Yes, send me the newsletter."),
            (entry.Purpose, entry.Channel, entry.Status, entry.LawfulBasis, entry.Source, entry.Proof));
        Assert.NotNull(entry.EventId);

        var check = await tenant.Admin.Consent.CheckAsync(ada.Id, "ada@example.com", "newsletter", "email");
        Assert.True(check.Allowed);
        Assert.Equal("granted", check.Status);
        Assert.Equal(entry.EventId, check.DecidingEventId);
        Assert.Equal("granted", (await tenant.Admin.Contacts.GetAsync(ada.Id))["consent"]!["newsletter"]!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_withdrawal_wins_from_its_time_on_and_the_past_still_reads_as_it_was()
    {
        var tenant = await fixture.NewTenantAsync();
        var ada = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["email"] = "ada@example.com" });
        var grantedAt = DateTimeOffset.UtcNow.AddHours(-2);
        await tenant.Admin.Consent.SetAsync(ada.Id, "newsletter", "email", new ConsentDecisionRequest { Status = "granted", Source = "form", At = grantedAt });
        var withdrawnAt = DateTimeOffset.UtcNow.AddHours(-1);
        await tenant.Admin.Consent.SetAsync(ada.Id, "newsletter", "email", new ConsentDecisionRequest { Status = "withdrawn", Source = "unsubscribe link", At = withdrawnAt });

        var now = await tenant.Admin.Consent.CheckAsync(ada.Id, "ada@example.com", "newsletter", "email");
        Assert.False(now.Allowed);
        Assert.Equal("withdrawn", now.Status);
        Assert.True((await tenant.Admin.Consent.CheckAsync(ada.Id, "ada@example.com", "newsletter", "email", at: grantedAt.AddMinutes(30))).Allowed);
        Assert.False((await tenant.Admin.Consent.CheckAsync(ada.Id, "ada@example.com", "newsletter", "email", at: grantedAt.AddMinutes(-30))).Allowed);
        Assert.Equal("withdrawn", Assert.Single(await tenant.Admin.Consent.GetAsync(ada.Id)).Status);
        Assert.Equal(3, (await tenant.Admin.Contacts.GetHistoryAsync(ada.Id)).Items.Count);
    }

    [Fact]
    public async Task Unknown_consent_denies_consent_based_purposes_and_allows_others_and_strangers_are_denied()
    {
        var tenant = await fixture.NewTenantAsync();
        var ada = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["email"] = "ada@example.com" });

        var marketing = await tenant.Admin.Consent.CheckAsync(ada.Id, "ada@example.com", "marketing", "email");
        Assert.False(marketing.Allowed);
        Assert.Equal("unknown", marketing.Status);
        Assert.False(string.IsNullOrEmpty(marketing.Reason));
        Assert.True((await tenant.Admin.Consent.CheckAsync(ada.Id, "ada@example.com", "sales", "email")).Allowed);
        Assert.False((await tenant.Admin.Consent.CheckAsync(ada.Id, "someone.else@example.com", "sales", "email")).Allowed);
    }

    [Fact]
    public async Task Consent_for_one_address_does_not_cover_the_others()
    {
        var tenant = await fixture.NewTenantAsync();
        var ada = await tenant.Admin.Contacts.CreateAsync(TestData.Obj("""{"firstName":"Ada","emails":["ada@example.com","ada@work.example"]}"""));
        await tenant.Admin.Consent.SetAsync(ada.Id, "newsletter", "email", new ConsentDecisionRequest { Status = "granted", Source = "form", Address = "ADA@work.example" });

        Assert.True((await tenant.Admin.Consent.CheckAsync(ada.Id, "ada@work.example", "newsletter", "email")).Allowed);
        Assert.False((await tenant.Admin.Consent.CheckAsync(ada.Id, "ada@example.com", "newsletter", "email")).Allowed);
        Assert.Equal("ada@work.example", Assert.Single(await tenant.Admin.Consent.GetAsync(ada.Id)).Address);
    }

    [Fact]
    public async Task The_consent_ledger_reads_as_of_a_past_time()
    {
        var tenant = await fixture.NewTenantAsync();
        var ada = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["email"] = "ada@example.com" });
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        await tenant.Admin.Consent.SetAsync(ada.Id, "newsletter", "email", new ConsentDecisionRequest { Status = "granted", Source = "form" });

        Assert.Empty(await tenant.Admin.Consent.GetAsync(ada.Id, asOf: before));
        Assert.Single(await tenant.Admin.Consent.GetAsync(ada.Id, asOf: DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Fact]
    public async Task A_revoked_key_gets_401_on_every_consent_route()
    {
        var tenant = await fixture.NewTenantAsync();
        var ada = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["email"] = "ada@example.com" });
        var manager = await tenant.AddUserAsync(ApiRole.Manager);
        await manager.Client.Consent.SetAsync(ada.Id, "newsletter", "email", new ConsentDecisionRequest { Status = "granted", Source = "form" });
        await tenant.Admin.Keys.RevokeAsync(manager.KeyId);

        foreach (var call in new Func<Task>[]
        {
            () => manager.Client.Consent.SetAsync(ada.Id, "newsletter", "email", new ConsentDecisionRequest { Status = "withdrawn", Source = "form" }),
            () => manager.Client.Consent.GetAsync(ada.Id),
            () => manager.Client.Consent.CheckAsync(ada.Id, "ada@example.com", "newsletter", "email"),
        })
        {
            var error = await Assert.ThrowsAsync<CrmApiException>(call);
            Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
            Assert.Equal(ProblemTypes.Unauthorized, error.ProblemType);
        }

        Assert.Equal("granted", Assert.Single(await tenant.Admin.Consent.GetAsync(ada.Id)).Status);
    }
}
