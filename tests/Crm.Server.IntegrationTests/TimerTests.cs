using System.Net;
using System.Text.Json.Nodes;

namespace Crm.Server.IntegrationTests;

/// <summary>Durable timers on records through <c>/api/v1/{resource}/{id}/timers</c>.</summary>
public sealed class TimerTests(CrmServerFixture fixture)
{
    [Fact]
    public async Task A_due_timer_fires_once_into_the_records_history()
    {
        var tenant = await fixture.NewTenantAsync();
        var task = await tenant.Admin.Tasks.CreateAsync(new JsonObject { ["title"] = "Call Ada back" });

        var set = await fixture.Server.SendAsync(HttpMethod.Put, $"api/v1/tasks/{task.Id}/timers/remind", tenant.AdminKey,
            $$$"""{"dueAt":"{{{DateTimeOffset.UtcNow.AddMinutes(-1):O}}}","payload":{"note":"overdue"}}""");
        Assert.Equal(HttpStatusCode.OK, set.Status);
        Assert.Equal("remind", set.Json["name"]!.GetValue<string>());

        JsonObject? fired = null;
        await Eventually.TrueAsync(async () =>
        {
            var history = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/tasks/{task.Id}/history", tenant.AdminKey);
            fired = history.Json["items"]!.AsArray().OfType<JsonObject>().SingleOrDefault(e => e["type"]!.GetValue<string>() == "timer.fired");
            return fired is not null;
        }, TimeSpan.FromSeconds(30), "the timer to fire");

        Assert.Equal("overdue", fired!["data"]!["payload"]!["note"]!.GetValue<string>());
        var timers = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/tasks/{task.Id}/timers", tenant.AdminKey);
        Assert.Empty(timers.Json["items"]!.AsArray());
    }

    [Fact]
    public async Task A_future_timer_is_listed_until_it_is_cancelled()
    {
        var tenant = await fixture.NewTenantAsync();
        var deal = await tenant.Admin.Deals.CreateAsync(new JsonObject { ["name"] = "Renewal", ["amount"] = 900 });
        var due = DateTimeOffset.UtcNow.AddDays(30);
        await fixture.Server.SendAsync(HttpMethod.Put, $"api/v1/deals/{deal.Id}/timers/renewal-reminder", tenant.AdminKey, $$"""{"dueAt":"{{due:O}}"}""");

        var listed = (await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/deals/{deal.Id}/timers", tenant.AdminKey)).Json["items"]!.AsArray();
        var timer = Assert.Single(listed)!;
        Assert.Equal("renewal-reminder", timer["name"]!.GetValue<string>());
        Assert.Equal(due.UtcDateTime, timer["dueAt"]!.GetValue<DateTime>(), TimeSpan.FromMilliseconds(1));

        var cancelled = await fixture.Server.SendAsync(HttpMethod.Delete, $"api/v1/deals/{deal.Id}/timers/renewal-reminder", tenant.AdminKey);
        Assert.Equal(HttpStatusCode.NoContent, cancelled.Status);
        Assert.Empty((await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/deals/{deal.Id}/timers", tenant.AdminKey)).Json["items"]!.AsArray());
        var history = await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/deals/{deal.Id}/history", tenant.AdminKey);
        Assert.Equal(["deal.stageChanged", "record.created", "timer.cancelled", "timer.scheduled"],
            history.Json["items"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("remind", """{}""", "dueAt")]
    [InlineData("remind", """{"dueAt":"tomorrow"}""", "dueAt")]
    [InlineData("remind", """{"dueAt":"2030-01-01T00:00:00Z","payload":[1]}""", "payload")]
    [InlineData("remind", """{"dueAt":"2030-01-01T00:00:00Z","colour":"red"}""", "colour")]
    [InlineData("-bad name", """{"dueAt":"2030-01-01T00:00:00Z"}""", "name")]
    public async Task A_bad_timer_is_a_400_naming_the_field_and_sets_nothing(string name, string body, string field)
    {
        var tenant = await fixture.NewTenantAsync();
        var contact = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ann" });

        var refused = await fixture.Server.SendAsync(HttpMethod.Put, $"api/v1/contacts/{contact.Id}/timers/{Uri.EscapeDataString(name)}", tenant.AdminKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.True(refused.IsProblem);
        Assert.True(refused.Json["errors"]!.AsObject().ContainsKey(field), refused.Body);
        Assert.Empty((await fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{contact.Id}/timers", tenant.AdminKey)).Json["items"]!.AsArray());
    }
}
