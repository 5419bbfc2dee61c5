namespace Crm.Plugins.Sms;

/// <summary>The gateway (<c>Crm:Plugins:Sms</c>). Templates take <c>{to}</c>, <c>{from}</c>, <c>{body}</c> and <c>{messageId}</c>.</summary>
public sealed class SmsOptions
{
    /// <summary>The gateway's URL; placeholders are URL-encoded, e.g. <c>https://gw.example/send?to={to}&amp;text={body}</c>.</summary>
    public string? GatewayUrl { get; set; }

    /// <summary><c>POST</c> (default) or <c>GET</c>.</summary>
    public string Method { get; set; } = "POST";

    /// <summary>The request body for POST (JSON by default: <c>{"to":"{to}","from":"{from}","text":"{body}","id":"{messageId}"}</c>); placeholders are JSON-escaped.</summary>
    public string BodyTemplate { get; set; } = """{"to":"{to}","from":"{from}","text":"{body}","id":"{messageId}"}""";

    /// <summary>The body's content type.</summary>
    public string ContentType { get; set; } = "application/json";

    /// <summary>A header sent with every request, e.g. <c>Authorization: Bearer …</c>.</summary>
    public string? AuthHeader { get; set; }

    /// <summary>The sender number or name.</summary>
    public string From { get; set; } = "";

    /// <summary>The secret the gateway puts in its inbound callbacks (<c>?secret=</c> or <c>X-Sms-Secret</c>); inbound is off when empty.</summary>
    public string? InboundSecret { get; set; }

    /// <summary>Seconds one gateway call may take.</summary>
    public int TimeoutSeconds { get; set; } = 15;
}
