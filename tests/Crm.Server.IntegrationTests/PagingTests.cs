using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

public sealed class PagingTests(CrmServerFixture fixture)
{
    [Theory]
    [InlineData(null)]
    [InlineData("lastName")]
    [InlineData("-createdAt")]
    public async Task Paging_through_1000_records_while_more_are_added_shows_each_one_exactly_once(string? sort)
    {
        var tenant = await fixture.NewTenantAsync();
        var random = new Random(42);
        var seeded = await tenant.Admin.Contacts.BatchAsync(Enumerable.Range(0, 1000).Select(i => new JsonObject
        {
            ["firstName"] = "Seed" + i,
            ["lastName"] = "N" + random.Next(100_000).ToString("D5"),
        }), TestData.Cancel);
        Assert.Equal(1000, seeded.Succeeded);
        var original = seeded.Results.Select(r => r.Id!).ToHashSet();

        // The writer adds a batch, then waits for the reader to read a page: writes land between every two pages.
        using var pageRead = new SemaphoreSlim(0);
        using var batchWritten = new SemaphoreSlim(0);
        using var done = new CancellationTokenSource();
        var added = 0;
        var writer = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var batch = await tenant.Admin.Contacts.BatchAsync(Enumerable.Range(0, 7).Select(_ => new JsonObject
                {
                    ["firstName"] = "Late",
                    ["lastName"] = "N" + Random.Shared.Next(100_000).ToString("D5"),
                }), TestData.Cancel);
                Interlocked.Add(ref added, batch.Succeeded);
                batchWritten.Release();
                try
                {
                    await pageRead.WaitAsync(done.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, TestData.Cancel);

        var seen = new List<string>();
        var query = new ListQuery { Sort = sort, Limit = 37 };
        var pages = 0;
        while (true)
        {
            Assert.True(await batchWritten.WaitAsync(TimeSpan.FromSeconds(30), TestData.Cancel), "the writer stalled");
            var page = await tenant.Admin.Contacts.ListAsync(query, TestData.Cancel);
            seen.AddRange(page.Items.Select(r => r.Id));
            pages++;
            pageRead.Release();
            if (page.Next is null) break;
            query = query with { Cursor = page.Next };
        }

        await done.CancelAsync();
        await writer;

        Assert.True(pages >= 1000 / 37, $"only {pages} pages");
        Assert.True(added >= 7 * (pages - 1), $"only {added} records were added while paging");
        var repeated = seen.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, $"{repeated.Count} records were listed twice, e.g. {string.Join(", ", repeated.Take(3))}");
        var missing = original.Except(seen).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of the 1,000 records were never listed, e.g. {string.Join(", ", missing.Take(3))}");
    }

    [Fact]
    public async Task A_page_answers_items_and_a_next_cursor_until_the_last_page()
    {
        var tenant = await fixture.NewTenantAsync();
        await tenant.Admin.Accounts.BatchAsync(Enumerable.Range(0, 5).Select(i => new JsonObject { ["name"] = "Account " + i }), TestData.Cancel);

        var raw = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/accounts?limit=2", tenant.AdminKey);
        Assert.Equal(2, raw.Json["items"]!.AsArray().Count);
        Assert.NotNull(raw.Json["next"]);

        var all = await tenant.Admin.Accounts.ListAllAsync(new ListQuery { Limit = 2, Sort = "name" }, TestData.Cancel).ToListAsync(TestData.Cancel);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "Account " + i), all.Select(a => a.GetString("name")));
        var last = await fixture.Server.SendAsync(HttpMethod.Get, "api/v1/accounts?limit=5", tenant.AdminKey);
        Assert.True(last.Json.ContainsKey("next"));
        Assert.Null(last.Json["next"]);
    }
}
