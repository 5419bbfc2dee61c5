using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Coordination;
using Crm.Engine.Storage;

namespace Crm.Plugins.Webhooks;

/// <summary>
/// Follows the log (once per cluster) and decides, for each event, one delivery per tenant subscription that wants
/// it; the engine's outbox then executes each delivery — a signed POST — and retries it with back-off, keeping it as
/// a dead letter after the last attempt. Every attempt of one delivery carries the same <c>webhook-id</c>.
/// </summary>
internal sealed class WebhookDispatcher(ICrmClient crm, IHttpClientFactory http, TimeProvider time) : ILogConsumer
{
    public const string SubscriptionName = "webhooks";
    public const string HttpClientName = "crm-webhooks";
    public const string PluginName = "Webhooks";
    private const string Kind = "webhook.delivery";

    public string Name => SubscriptionName;

    public async Task<IReadOnlyList<OutboxMessage>> DecideAsync(IReadOnlyList<CrmEvent> events, CancellationToken cancellationToken)
    {
        var outbox = new List<OutboxMessage>();
        var subscriptions = new Dictionary<string, IReadOnlyList<WebhookSubscription>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (EventName(e) is not { } name) continue;
            if (!subscriptions.TryGetValue(e.Tenant, out var subs))
            {
                subscriptions[e.Tenant] = subs = await LoadAsync(e.Tenant, cancellationToken);
            }

            foreach (var sub in subs.Where(s => s.Wants(name)))
            {
                var slash = e.StreamId.IndexOf('/');
                outbox.Add(new OutboxMessage
                {
                    Key = $"{e.EventId:N}/{sub.Id}",
                    Kind = Kind,
                    Tenant = e.Tenant,
                    SourceEventId = e.EventId,
                    PayloadJson = new JsonObject
                    {
                        ["subscription"] = sub.Id,
                        ["event"] = new JsonObject
                        {
                            ["id"] = e.EventId.ToString("D"),
                            ["type"] = name,
                            ["tenant"] = e.Tenant,
                            ["record"] = new JsonObject { ["type"] = e.StreamId[..slash], ["id"] = e.StreamId[(slash + 1)..] },
                            ["version"] = e.Version,
                            ["time"] = e.Time,
                            ["actor"] = e.Actor.ToString(),
                            ["data"] = JsonNode.Parse(e.PayloadJson),
                        },
                    }.ToJsonString(),
                });
            }
        }

        return outbox;
    }

    /// <summary>Deliveries to one subscription go in the order their events happened.</summary>
    public string? OrderingKey(OutboxEntry entry) => entry.Tenant + "/" + (string?)JsonNode.Parse(entry.PayloadJson)?["subscription"];

    public async Task ExecuteAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var payload = JsonNode.Parse(entry.PayloadJson)!.AsObject();
        var stored = await crm.ForTenant(entry.Tenant).PluginData(PluginName).GetAsync("sub:" + (string)payload["subscription"]!, cancellationToken);
        if (stored is null) return; // the subscription was deleted: nobody is waiting for this any more
        var sub = WebhookSubscription.FromJson(stored);
        var body = payload["event"]!.ToJsonString();
        var id = entry.EffectKey;
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, sub.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(sub.Secret, id, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{sub.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
    }

    private async Task<IReadOnlyList<WebhookSubscription>> LoadAsync(string tenant, CancellationToken cancellationToken) =>
        [.. (await crm.ForTenant(tenant).PluginData(PluginName).ListAsync(cancellationToken))
            .Where(p => p.Key.StartsWith("sub:", StringComparison.Ordinal))
            .Select(p => WebhookSubscription.FromJson(p.Value))];

    /// <summary>
    /// The name subscribers use: <c>{type}.created|updated|deleted|restored|linked|unlinked</c> for record changes,
    /// <c>{type}.timerFired</c>, and the record types' own events as they are (<c>deal.stageChanged</c>,
    /// <c>contact.consentRecorded</c>, <c>contact.messageSent</c>…). Null for streams that are not records'.
    /// </summary>
    internal static string? EventName(CrmEvent e)
    {
        var slash = e.StreamId.IndexOf('/');
        if (slash <= 0 || e.StreamId.StartsWith("plugin-data/", StringComparison.Ordinal)) return null;
        var type = e.StreamId[..slash];
        return e.Type switch
        {
            "timer.scheduled" or "timer.cancelled" => null,
            "timer.fired" => type + ".timerFired",
            _ when e.Type.StartsWith("record.", StringComparison.Ordinal) => type + e.Type["record".Length..],
            _ => e.Type,
        };
    }
}
