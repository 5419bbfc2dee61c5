using Crm.Engine.Plugins;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Crm.Plugins.Email.OptIn;

/// <summary>
/// <c>POST /api/v1/plugins/Email/opt-in</c> asks a contact to confirm a consent; <c>GET /p/Email/confirm/{token}</c>
/// is the link in the confirmation mail, answering with a small page.
/// </summary>
internal static class OptInEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;

    public static void Map(IEndpointRouteBuilder api, IEndpointRouteBuilder open)
    {
        api.MapPost("/opt-in", RequestAsync).WithName("email-opt-in");
        open.MapGet("/confirm/{token}", ConfirmAsync).ExcludeFromDescription();
    }

    private static async Task<IResult> RequestAsync(HttpContext http, [FromServices] DoubleOptIn optIn, CancellationToken cancellationToken)
    {
        if (CrmCaller.From(http) is not { } caller) return Problem(401, "unauthorized", "Authentication required", "Send 'Authorization: Bearer <api key>' with a valid key.");
        if (caller.IsReadOnly) return Problem(403, "forbidden", "Forbidden", "The read-only role may not record consent.");
        if (!optIn.Enabled)
        {
            return Problem(503, "email_opt_in_not_configured", "Double opt-in is not configured",
                "Set Crm:Plugins:Email:PublicBaseUrl and Crm:Plugins:Email:LinkSecret to send confirmation links.");
        }

        JsonObject body;
        try
        {
            body = await ReadObjectAsync(http.Request, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Validation("body", "must be a JSON object: " + ex.Message);
        }

        string? Text(string field) => body[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        var unknown = body.Select(p => p.Key).FirstOrDefault(k => k is not ("contactId" or "purpose" or "address"));
        if (unknown is not null) return Validation(unknown, "is not an opt-in field (contactId, purpose, address)");
        if (Text("contactId") is not { Length: > 0 } contactId) return Validation("contactId", "is required: the contact to ask");
        if (Text("purpose") is not { Length: > 0 } purpose) return Validation("purpose", "is required: what the contact is asked to agree to");
        if (body["address"] is not null && Text("address") is null) return Validation("address", "must be a string");

        try
        {
            return await optIn.RequestAsync(caller.Tenant, caller.Actor, contactId, purpose, Text("address"), cancellationToken) switch
            {
                OptInRequestResult.Sent sent => Results.Json(new JsonObject
                {
                    ["status"] = "pending", ["contactId"] = contactId, ["purpose"] = purpose, ["address"] = sent.Address, ["messageId"] = sent.MessageId,
                }, statusCode: 202),
                OptInRequestResult.AlreadyGranted granted => Results.Json(new JsonObject
                {
                    ["status"] = "granted", ["contactId"] = contactId, ["purpose"] = purpose, ["address"] = granted.Address,
                }),
                _ => throw new InvalidOperationException("Unknown opt-in result."),
            };
        }
        catch (ValidationException ex)
        {
            return Problem(400, "validation", "Invalid request", ex.Message, new JsonObject { ["errors"] = Errors(ex) });
        }
        catch (RecordNotFoundException ex)
        {
            return Problem(404, "not_found", "Not found", ex.Message);
        }
        catch (OptInSuppressedException ex)
        {
            return Problem(409, "email_address_suppressed", "Address suppressed", ex.Message);
        }
        catch (OptInMailFailedException ex)
        {
            return Problem(502, "email_not_sent", "Confirmation mail not sent", ex.Message + " The consent stays pending; ask again later.");
        }
    }

    private static async Task<IResult> ConfirmAsync(string token, HttpContext http, [FromServices] DoubleOptIn optIn, CancellationToken cancellationToken)
    {
        // The token is in the URL: keep it out of caches, referrers and search engines.
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers["X-Robots-Tag"] = "noindex";
        var (outcome, t) = await optIn.ConfirmAsync(token, cancellationToken);
        return outcome switch
        {
            OptInConfirmation.Confirmed => Page("Confirmed", $"<p>Thank you. You will receive {Html(t!.Purpose)} messages at <b>{Html(t.Address)}</b>.</p>"),
            OptInConfirmation.AlreadyConfirmed => Page("Already confirmed", $"<p>You had confirmed {Html(t!.Purpose)} messages at <b>{Html(t.Address)}</b> already.</p>"),
            OptInConfirmation.Expired => Page("Link expired", "<p>This confirmation link has expired. Please ask for a new one.</p>", 410),
            OptInConfirmation.NothingPending => Page("Link no longer valid", "<p>There is nothing to confirm with this link any more. If you asked again, use the link in the latest mail.</p>", 410),
            _ => Page("Link not valid", "<p>This confirmation link is not valid.</p>", 404),
        };
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes) throw new JsonException($"the body is larger than {MaxBodyBytes} bytes");
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) throw new JsonException($"the body is larger than {MaxBodyBytes} bytes");
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0) throw new JsonException("the body is empty");
        return JsonNode.Parse(buffer.ToArray()) as JsonObject ?? throw new JsonException("the body is not an object");
    }

    private static JsonObject Errors(ValidationException ex)
    {
        var map = new JsonObject();
        foreach (var group in ex.Errors.GroupBy(e => e.Field)) map[group.Key] = new JsonArray([.. group.Select(e => (JsonNode)e.Message)]);
        return map;
    }

    private static IResult Validation(string field, string message) =>
        Problem(400, "validation", "Invalid request", $"{field}: {message}", new JsonObject { ["errors"] = new JsonObject { [field] = new JsonArray(message) } });

    /// <summary>An RFC 9457 problem with the engine's stable <c>urn:crm:problem:&lt;code&gt;</c> type.</summary>
    private static IResult Problem(int status, string code, string title, string detail, JsonObject? extensions = null)
    {
        var body = new JsonObject { ["type"] = "urn:crm:problem:" + code, ["title"] = title, ["status"] = status, ["detail"] = detail };
        if (extensions is not null)
        {
            foreach (var (k, v) in extensions) body[k] = v?.DeepClone();
        }

        return Results.Text(body.ToJsonString(), "application/problem+json", statusCode: status);
    }

    private static IResult Page(string title, string body, int status = 200) => Results.Content(
        $"<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{Html(title)}</title></head>" +
        $"<body style=\"font-family:sans-serif;max-width:36em;margin:3em auto\"><h1>{Html(title)}</h1>{body}</body></html>",
        "text/html; charset=utf-8", statusCode: status);

    private static string Html(string text) => WebUtility.HtmlEncode(text);
}
