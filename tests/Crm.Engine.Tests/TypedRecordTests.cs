namespace Crm.Engine.Tests;

public sealed class TypedRecordTests(EngineFixture fixture)
{
    [Fact]
    public async Task Typed_contacts_round_trip_and_updates_touch_only_what_they_set()
    {
        var crm = fixture.NewTenant();
        var created = await crm.CreateAsync(new Contact { FirstName = "Grace", LastName = "Hopper", Email = "GRACE@navy.mil", Tags = ["admiral"] });
        await crm.UpdateAsync(created.Id, new Contact { Title = "Rear Admiral" });

        var grace = await crm.GetAsync<Contact>(created.Id);
        Assert.NotNull(grace);
        Assert.Equal("Grace", grace.FirstName);
        Assert.Equal("grace@navy.mil", grace.Email);
        Assert.Equal("Rear Admiral", grace.Title);
        Assert.Equal(["admiral"], grace.Tags);
    }

    [Fact]
    public async Task Typed_deal_keeps_decimal_amounts()
    {
        var crm = fixture.NewTenant();
        var deal = await crm.CreateAsync(new Deal { Name = "Cobol compiler", Amount = 1_000_000.01m, Currency = "usd" });
        var read = deal.As<Deal>();
        Assert.Equal(1_000_000.01m, read.Amount);
        Assert.Equal("USD", read.Currency);
        Assert.Equal("prospecting", read.Stage);
    }
}
