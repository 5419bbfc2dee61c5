using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

public sealed class ConsentTests(EngineFixture fixture)
{
    private async Task<(ICrmClient Crm, string Id)> ContactAsync()
    {
        var crm = fixture.NewTenant();
        var c = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Cora", "email": "cora@x.com", "phone": "+1 650 253 0000" }"""));
        return (crm, c.Id);
    }

    [Fact]
    public async Task Unknown_consent_denies_for_consent_based_purposes()
    {
        var (crm, id) = await ContactAsync();
        var decision = await crm.MayContactAsync(id, "cora@x.com", "marketing", Channels.Email);
        Assert.False(decision.Allowed);
        Assert.Equal(ConsentStatus.Unknown, decision.Status);
        Assert.Contains("unknown means no", decision.Reason);
        Assert.Null(decision.DecidingEventId);
    }

    [Fact]
    public async Task Unknown_allows_a_purpose_resting_on_legitimate_interest()
    {
        var (crm, id) = await ContactAsync();
        Assert.True((await crm.MayContactAsync(id, "cora@x.com", "sales", Channels.Email)).Allowed);
    }

    [Fact]
    public async Task Pending_denies_and_granted_allows_with_the_deciding_event()
    {
        var (crm, id) = await ContactAsync();
        await crm.SetConsentAsync(id, new ConsentChange { Purpose = "newsletter", Channel = Channels.Email, Address = "CORA@x.com", Status = ConsentStatus.Pending, Source = "web form" });
        var pending = await crm.MayContactAsync(id, "cora@x.com", "newsletter", Channels.Email);
        Assert.False(pending.Allowed);
        Assert.Equal(ConsentStatus.Pending, pending.Status);

        var granted = await crm.SetConsentAsync(id, new ConsentChange { Purpose = "newsletter", Channel = Channels.Email, Address = "cora@x.com", Status = ConsentStatus.Granted, Source = "confirmation link", Proof = "token 123" });
        var decision = await crm.MayContactAsync(id, "cora@x.com", "newsletter", Channels.Email);
        Assert.True(decision.Allowed);
        Assert.Equal(granted.EventId, decision.DecidingEventId);
        Assert.Equal("token 123", decision.DecidingEntry!.Proof);
        // Other channels and purposes are still unknown.
        Assert.False((await crm.MayContactAsync(id, "+16502530000", "newsletter", Channels.Sms)).Allowed);
        Assert.False((await crm.MayContactAsync(id, "cora@x.com", "marketing", Channels.Email)).Allowed);
    }

    [Fact]
    public async Task Withdrawal_wins_from_its_time_on()
    {
        var (crm, id) = await ContactAsync();
        var t0 = DateTimeOffset.UtcNow.AddHours(-3);
        await crm.SetConsentAsync(id, new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "import", At = t0 });
        await crm.SetConsentAsync(id, new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Address = "cora@x.com", Status = ConsentStatus.Withdrawn, Source = "unsubscribe link", At = t0.AddHours(1) });

        Assert.True((await crm.MayContactAsync(id, "cora@x.com", "marketing", Channels.Email, at: t0.AddMinutes(30))).Allowed);
        var now = await crm.MayContactAsync(id, "cora@x.com", "marketing", Channels.Email);
        Assert.False(now.Allowed);
        Assert.Equal(ConsentStatus.Withdrawn, now.Status);
        Assert.Equal("unsubscribe link", now.DecidingEntry!.Source);
    }

    [Fact]
    public async Task Consent_for_an_address_the_contact_does_not_have_is_refused()
    {
        var (crm, id) = await ContactAsync();
        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.SetConsentAsync(id,
            new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Address = "stranger@x.com", Status = ConsentStatus.Granted, Source = "x" }));
        Assert.Equal("address", ex.Errors[0].Field);
        Assert.False((await crm.MayContactAsync(id, "stranger@x.com", "sales", Channels.Email)).Allowed);
    }

    [Fact]
    public async Task Sms_consent_matches_phone_numbers_in_any_format()
    {
        var (crm, id) = await ContactAsync();
        await crm.SetConsentAsync(id, new ConsentChange { Purpose = "marketing", Channel = Channels.Sms, Address = "(650) 253-0000", Status = ConsentStatus.Granted, Source = "keyword JOIN" });
        Assert.True((await crm.MayContactAsync(id, "+1 650-253-0000", "marketing", Channels.Sms)).Allowed);
        Assert.Equal("+16502530000", Assert.Single(await crm.GetConsentAsync(id)).Address);
    }

    [Fact]
    public async Task Contact_shows_and_can_be_filtered_by_its_latest_consent_per_purpose_and_channel()
    {
        var (crm, id) = await ContactAsync();
        var other = await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Nils" }"""));
        await crm.SetConsentAsync(id, new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "form" });

        var read = await crm.GetAsync(RecordTypes.Contact, id);
        Assert.Equal("granted", read!.Fields["consent"]!["marketing"]!["email"]!.GetValue<string>());
        var granted = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Filter = Filter.Eq("consent.marketing.email", "granted") });
        Assert.Equal(id, Assert.Single(granted.Items).Id);
        var notGranted = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Filter = !Filter.Eq("consent.marketing.email", "granted") });
        Assert.Equal(other.Id, Assert.Single(notGranted.Items).Id);
    }
}
