using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Messaging;
using Crm.Engine.Plugins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Crm.Plugins.Sms;

/// <summary>
/// SMS through a generic HTTP gateway (<see cref="SmsOptions"/>), and the gateway's inbound callback at
/// <c>/p/Sms/{tenant}/inbound</c> (fields <c>from</c> and <c>text</c>, as JSON or a form post, with the shared secret).
/// </summary>
public sealed class SmsPlugin : ICrmWebPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
        services.Configure<SmsOptions>(o => context.Configuration.Bind(o));
        services.AddHttpClient(HttpGatewayConnector.HttpClientName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IMessageConnector, HttpGatewayConnector>();
        services.AddSingleton<InboundSms>();
    }

    public void MapEndpoints(CrmPluginEndpoints endpoints, CrmPluginContext context)
    {
        endpoints.Public.MapPost("/{tenant}/inbound", async (HttpContext http, string tenant, IOptions<SmsOptions> options, InboundSms inbound) =>
        {
            var secret = options.Value.InboundSecret;
            var given = http.Request.Query["secret"].ToString() is { Length: > 0 } q ? q : http.Request.Headers["X-Sms-Secret"].ToString();
            if (string.IsNullOrEmpty(secret) || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(secret)))
            {
                return Results.Problem(statusCode: 401, title: "Unauthorized", detail: "The inbound secret is missing or wrong.");
            }

            string from, text;
            if (http.Request.HasFormContentType)
            {
                var form = await http.Request.ReadFormAsync();
                (from, text) = (form["from"].ToString(), form["text"].ToString());
            }
            else
            {
                var body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject ?? throw new ValidationException("body", "must be a JSON object or a form post");
                (from, text) = ((string?)body["from"] ?? "", (string?)body["text"] ?? "");
            }

            return Results.Json(new JsonObject { ["result"] = await inbound.HandleAsync(tenant, from, text, http.RequestAborted) });
        }).DisableAntiforgery();
    }
}
