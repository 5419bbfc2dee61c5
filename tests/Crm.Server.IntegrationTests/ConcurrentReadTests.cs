using System.Net;
using System.Text.Json.Nodes;

namespace Crm.Server.IntegrationTests;

/// <summary>Bursts of requests on one id, as polling clients and retries make them: answers are 200 or 404, never 5xx.</summary>
public sealed class ConcurrentReadTests(CrmServerFixture fixture)
{
    [Fact]
    public async Task Many_concurrent_reads_of_a_missing_record_all_answer_404()
    {
        var tenant = await fixture.NewTenantAsync();
        for (var round = 0; round < 5; round++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ =>
                fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/missing-{round}", tenant.AdminKey)));
            Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.NotFound, a.ToString()));
        }
    }

    [Fact]
    public async Task Reads_racing_a_create_of_the_same_id_answer_404_or_the_record()
    {
        var tenant = await fixture.NewTenantAsync();
        for (var round = 0; round < 5; round++)
        {
            var id = "racing-" + round;
            var reads = Enumerable.Range(0, 32).Select(_ => fixture.Server.SendAsync(HttpMethod.Get, $"api/v1/contacts/{id}", tenant.AdminKey)).ToList();
            var create = fixture.Server.SendAsync(HttpMethod.Post, "api/v1/contacts", tenant.AdminKey, new JsonObject { ["id"] = id, ["firstName"] = "Ada" }.ToJsonString());
            var answers = await Task.WhenAll([.. reads, create]);

            Assert.Equal(HttpStatusCode.Created, answers[^1].Status);
            Assert.All(answers[..^1], a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, a.ToString()));
        }
    }
}
