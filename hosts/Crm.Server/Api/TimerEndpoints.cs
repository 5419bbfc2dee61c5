using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Server.Auth;

namespace Crm.Server.Api;

/// <summary>Durable timers of a record: list, set (or move) and cancel. A timer that comes due adds <c>timer.fired</c> to the record's history.</summary>
internal static class TimerEndpoints
{
    public static void MapTimers(this RouteGroupBuilder records, string type)
    {
        records.MapGet("/{id}/timers", async (CallerContext rc, string id) =>
        {
            if (await rc.VisibleAsync(type, id) is null) return Problems.NotFound(type, id);
            var timers = await rc.Crm.GetTimersAsync(type, id);
            return Results.Json(new JsonObject { ["items"] = new JsonArray([.. timers.Select(t => (JsonNode)ToJson(t))]) });
        }).WithName($"list-timers-{type}");

        records.MapPut("/{id}/timers/{name}", async (CallerContext rc, string id, string name) =>
        {
            rc.EnsureCanWrite(type);
            var body = await rc.ReadBodyAsync();
            var unknown = body.Select(p => p.Key).Except(["dueAt", "payload"]).ToList();
            if (unknown.Count > 0) throw new ValidationException(unknown[0], "is not a timer field");
            var dueAt = RecordJson.ParseTime(ConsentEndpoints.OptionalString(body, "dueAt"), "dueAt")
                ?? throw new ValidationException("dueAt", "is required: when the timer fires (ISO 8601)");
            var payload = body["payload"] switch
            {
                null => null,
                JsonObject o => o.ToJsonString(),
                _ => throw new ValidationException("payload", "must be a JSON object"),
            };
            if (await rc.VisibleAsync(type, id) is null) return Problems.NotFound(type, id);
            await rc.Crm.SetTimerAsync(type, id, new RecordTimer(name, dueAt, payload), rc.Write());
            var timer = (await rc.Crm.GetTimersAsync(type, id)).FirstOrDefault(t => t.Name == name);
            return timer is null ? Results.NoContent() : Results.Json(ToJson(timer));
        }).WithName($"set-timer-{type}").Accepts<JsonObject>("application/json");

        records.MapDelete("/{id}/timers/{name}", async (CallerContext rc, string id, string name) =>
        {
            rc.EnsureCanWrite(type);
            if (await rc.VisibleAsync(type, id) is null) return Problems.NotFound(type, id);
            await rc.Crm.CancelTimerAsync(type, id, name, rc.Write());
            return Results.NoContent();
        }).WithName($"cancel-timer-{type}");
    }

    private static JsonObject ToJson(RecordTimer timer) => new()
    {
        ["name"] = timer.Name,
        ["dueAt"] = timer.DueAt.UtcDateTime,
        ["payload"] = timer.PayloadJson is null ? null : JsonNode.Parse(timer.PayloadJson),
    };
}
