using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Coordination;
using Crm.Engine.Plugins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.Plugins.Webhooks;

/// <summary>
/// Webhooks. Admins manage subscriptions under <c>/api/v1/plugins/Webhooks/subscriptions</c>; deliveries follow the
/// log through the engine's outbox, signed per Standard Webhooks; dead letters are listed and replayed under
/// <c>/api/v1/plugins/Webhooks/dead-letters</c>.
/// </summary>
public sealed class WebhooksPlugin : ICrmWebPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(WebhookDispatcher.HttpClientName);
        services.AddSingleton<ILogConsumer, WebhookDispatcher>();
    }

    public void MapEndpoints(CrmPluginEndpoints endpoints, CrmPluginContext context)
    {
        endpoints.Api.MapGet("/subscriptions", async (HttpContext http, ICrmClient crm) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, _)) return Forbidden();
            var stored = await crm.ForTenant(tenant).PluginData(WebhookDispatcher.PluginName).ListAsync();
            return Results.Json(new JsonObject
            {
                ["items"] = new JsonArray([.. stored.Where(p => p.Key.StartsWith("sub:", StringComparison.Ordinal)).Select(p => (JsonNode)WebhookSubscription.FromJson(p.Value).ToJson(withSecret: false))]),
            });
        });

        endpoints.Api.MapPut("/subscriptions/{id}", async (HttpContext http, ICrmClient crm, string id) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, actor)) return Forbidden();
            var body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject ?? throw new ValidationException("body", "must be a JSON object");
            var data = crm.ForTenant(tenant, actor).PluginData(WebhookDispatcher.PluginName);
            var existing = WebhookSubscription.IsValidId(id) && await data.GetAsync("sub:" + id) is { } stored ? WebhookSubscription.FromJson(stored) : null;
            var sub = WebhookSubscription.Parse(id, body, existing);
            await data.SetAsync("sub:" + id, sub.ToJson(withSecret: true));
            // The secret is shown when the subscription is made; afterwards only a rotation shows a new one.
            return Results.Json(sub.ToJson(withSecret: existing is null), statusCode: existing is null ? 201 : 200);
        });

        endpoints.Api.MapPost("/subscriptions/{id}/rotate-secret", async (HttpContext http, ICrmClient crm, string id) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, actor)) return Forbidden();
            var data = crm.ForTenant(tenant, actor).PluginData(WebhookDispatcher.PluginName);
            if (!WebhookSubscription.IsValidId(id) || await data.GetAsync("sub:" + id) is not { } stored) return NotFound(id);
            var sub = WebhookSubscription.FromJson(stored) with { Secret = WebhookSubscription.NewSecret() };
            await data.SetAsync("sub:" + id, sub.ToJson(withSecret: true));
            return Results.Json(sub.ToJson(withSecret: true));
        });

        endpoints.Api.MapDelete("/subscriptions/{id}", async (HttpContext http, ICrmClient crm, string id) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, actor)) return Forbidden();
            return WebhookSubscription.IsValidId(id) && await crm.ForTenant(tenant, actor).PluginData(WebhookDispatcher.PluginName).RemoveAsync("sub:" + id)
                ? Results.NoContent()
                : NotFound(id);
        });

        endpoints.Api.MapGet("/dead-letters", async (HttpContext http, ICrmClient crm) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, _)) return Forbidden();
            var letters = await crm.ForTenant(tenant).Outbox(WebhookDispatcher.SubscriptionName).GetDeadLettersAsync();
            return Results.Json(new JsonObject
            {
                ["items"] = new JsonArray([.. letters.Select(l =>
                {
                    var p = JsonNode.Parse(l.PayloadJson)!;
                    return (JsonNode)new JsonObject
                    {
                        ["id"] = l.Id,
                        ["webhookId"] = l.EffectKey,
                        ["subscription"] = p["subscription"]?.DeepClone(),
                        ["event"] = p["event"]?["type"]?.DeepClone(),
                        ["eventId"] = p["event"]?["id"]?.DeepClone(),
                        ["attempts"] = l.Attempts,
                        ["lastError"] = l.LastError,
                        ["failedAt"] = l.CompletedAt,
                    };
                })]),
            });
        });

        endpoints.Api.MapPost("/dead-letters/{letter}/replay", async (HttpContext http, ICrmClient crm, long letter) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, _)) return Forbidden();
            return await crm.ForTenant(tenant).Outbox(WebhookDispatcher.SubscriptionName).ReplayAsync(letter)
                ? Results.Accepted()
                : Results.Problem(statusCode: 404, title: "Not found", detail: $"No dead letter {letter}.");
        });
    }

    private static IResult Forbidden() => Results.Problem(statusCode: 403, title: "Forbidden", detail: "Only admins may manage webhooks.");

    private static IResult NotFound(string id) => Results.Problem(statusCode: 404, title: "Not found", detail: $"No subscription '{id}'.");
}
