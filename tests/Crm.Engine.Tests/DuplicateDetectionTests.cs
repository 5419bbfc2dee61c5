using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

public sealed class DuplicateDetectionTests(EngineFixture fixture)
{
    [Fact]
    public async Task Contacts_are_found_by_mailbox_phone_and_similar_name_at_the_same_company_with_scores_and_reasons()
    {
        var crm = fixture.NewTenant();
        var ada = (await crm.CreateAsync(RecordTypes.Contact, Obj("""
            { "firstName": "Ada", "lastName": "Lovelace", "email": "ada.lovelace@gmail.com", "phone": "+1 650 253 0000", "company": "Analytical Engines Ltd" }
            """))).Id;
        var mailbox = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Ada", "lastName": "Lovelace", "email": "adalovelace+crm@gmail.com" }"""))).Id;
        var typo = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Ada", "lastName": "Lovelase", "company": "Analytical Engines" }"""))).Id;
        var phone = (await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Charles", "phone": "(650) 253-0000" }"""))).Id;
        await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Ada", "lastName": "Smith", "company": "Other Co" }"""));
        await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Grace", "lastName": "Hopper", "email": "grace@navy.mil" }"""));

        var found = await crm.FindDuplicatesAsync(RecordTypes.Contact, ada);

        Assert.Equal([mailbox, typo, phone], found.Select(c => c.Record.Id));
        var byMailbox = found[0];
        Assert.Equal(95, byMailbox.Score);
        Assert.Equal("same mailbox ada.lovelace@gmail.com and adalovelace+crm@gmail.com", byMailbox.Reasons[0]);
        Assert.Equal("name 100% similar", byMailbox.Reasons[1]);
        var byName = found[1];
        Assert.InRange(byName.Score, 85, 94);
        Assert.Matches(@"^name \d+% similar, same company$", Assert.Single(byName.Reasons));
        Assert.Equal(80, found[2].Score);
        Assert.Equal("same phone +16502530000", Assert.Single(found[2].Reasons));
    }

    [Fact]
    public async Task Accounts_are_found_by_domain_and_name()
    {
        var crm = fixture.NewTenant();
        var acme = (await crm.CreateAsync(RecordTypes.Account, Obj("""{ "name": "Acme Inc", "domain": "acme.com" }"""))).Id;
        var same = (await crm.CreateAsync(RecordTypes.Account, Obj("""{ "name": "ACME", "website": "https://www.acme.com/about" }"""))).Id;
        await crm.CreateAsync(RecordTypes.Account, Obj("""{ "name": "Acme Rockets", "domain": "acmerockets.com" }"""));

        var candidate = Assert.Single(await crm.FindDuplicatesAsync(RecordTypes.Account, acme));
        Assert.Equal(same, candidate.Record.Id);
        Assert.Equal(90, candidate.Score);
        Assert.Equal(["same domain acme.com", "name 100% similar"], candidate.Reasons);
    }

    [Fact]
    public async Task A_tenant_wide_scan_pages_through_records_and_reports_each_pair_once()
    {
        var crm = fixture.NewTenant();
        for (var i = 0; i < 3; i++)
        {
            await crm.CreateAsync(RecordTypes.Contact, Obj($$"""{ "firstName": "Twin{{i}}", "email": "twin{{i}}@x.com", "phone": "+1 650 253 000{{i}}" }"""));
            await crm.CreateAsync(RecordTypes.Contact, Obj($$"""{ "firstName": "Other{{i}}", "phone": "+1 650 253 000{{i}}" }"""));
        }

        await crm.CreateAsync(RecordTypes.Contact, Obj("""{ "firstName": "Alone", "phone": "+1 650 253 0009" }"""));
        var pairs = new List<DuplicatePair>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await crm.ScanDuplicatesAsync(RecordTypes.Contact, cursor, limit: 2);
            pairs.AddRange(page.Items);
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.True(pages >= 4);
        Assert.Equal(3, pairs.Count);
        Assert.All(pairs, p => Assert.StartsWith("same phone", p.Candidate.Reasons[0]));
        Assert.Equal(3, pairs.Select(p => p.Candidate.Reasons[0]).Distinct().Count());
    }

    [Fact]
    public async Task Only_contacts_and_accounts_have_duplicates_and_a_missing_record_is_not_found()
    {
        var crm = fixture.NewTenant();
        var ex = await Assert.ThrowsAsync<ValidationException>(() => crm.FindDuplicatesAsync(RecordTypes.Deal, "d1"));
        Assert.Equal("type", ex.Errors.Single().Field);
        await Assert.ThrowsAsync<RecordNotFoundException>(() => crm.FindDuplicatesAsync(RecordTypes.Contact, "nobody"));
    }
}
