using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using Crm.Engine.Messaging;
using Microsoft.Extensions.Options;

namespace Crm.Plugins.Sms;

/// <summary>
/// The <c>sms</c> channel over any HTTP gateway: the URL and body are templates filled with the message. A 2xx is
/// delivered; 408, 429, 5xx and network errors are retried by the engine; any other 4xx is a permanent failure.
/// The message id goes along as <c>{messageId}</c> and in an <c>Idempotency-Key</c> header, so a gateway can drop repeats.
/// </summary>
internal sealed class HttpGatewayConnector(IHttpClientFactory http, IOptions<SmsOptions> options) : IMessageConnector
{
    public const string HttpClientName = "crm-sms-gateway";

    public string Channel => "sms";

    public async Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.GatewayUrl)) throw new InvalidOperationException("Crm:Plugins:Sms:GatewayUrl is not set.");
        string Fill(string template, Func<string, string> escape) => template
            .Replace("{to}", escape(message.To), StringComparison.Ordinal)
            .Replace("{from}", escape(o.From), StringComparison.Ordinal)
            .Replace("{body}", escape(message.Body), StringComparison.Ordinal)
            .Replace("{messageId}", escape(message.MessageId), StringComparison.Ordinal);

        using var request = new HttpRequestMessage(new HttpMethod(o.Method), Fill(o.GatewayUrl, Uri.EscapeDataString));
        if (!string.Equals(o.Method, "GET", StringComparison.OrdinalIgnoreCase))
        {
            Func<string, string> escape = o.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode : Uri.EscapeDataString;
            request.Content = new StringContent(Fill(o.BodyTemplate, escape), Encoding.UTF8, o.ContentType);
        }

        if (o.AuthHeader is { } header && header.IndexOf(':') is > 0 and var colon)
        {
            request.Headers.TryAddWithoutValidation(header[..colon].Trim(), header[(colon + 1)..].Trim());
        }

        request.Headers.TryAddWithoutValidation("Idempotency-Key", message.MessageId);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(o.TimeoutSeconds));
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode) return;
        var detail = $"gateway answered {status} {response.ReasonPhrase}";
        if (status is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
        {
            throw new PermanentDeliveryException(detail, suppressAddress: response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone);
        }

        throw new HttpRequestException(detail, null, response.StatusCode);
    }
}
