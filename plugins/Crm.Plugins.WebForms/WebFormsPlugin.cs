using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Crm.Engine;
using Crm.Engine.Plugins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.Plugins.WebForms;

/// <summary>
/// Public web forms. Admins define a form (<c>PUT /api/v1/plugins/WebForms/forms/{id}</c>); visitors post it to
/// <c>/p/WebForms/{tenant}/{id}</c> as an HTML form or JSON. A filled-in honeypot field drops the post quietly, and
/// posts are limited per client address (<c>Crm:Plugins:WebForms:PostsPerMinute</c>, default 10).
/// </summary>
public sealed class WebFormsPlugin : ICrmWebPlugin
{
    private const string RatePolicy = "crm-webforms";

    /// <summary>The field a person leaves empty and a bot fills in.</summary>
    public const string Honeypot = "website";

    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
        var perMinute = int.TryParse(context.Configuration["PostsPerMinute"], out var n) && n > 0 ? n : 10;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FormSubmissions>();
        services.AddRateLimiter(o => o.AddPolicy(RatePolicy, http => RateLimitPartition.GetFixedWindowLimiter(
            (http.Connection.RemoteIpAddress?.ToString() ?? "unknown") + "|" + http.Request.Path,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })));
    }

    public void MapEndpoints(CrmPluginEndpoints endpoints, CrmPluginContext context)
    {
        endpoints.Api.MapGet("/forms", async (HttpContext http, FormSubmissions forms) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, _)) return Forbidden();
            var stored = await http.RequestServices.GetRequiredService<ICrmClient>().ForTenant(tenant).PluginData(FormSubmissions.PluginName).ListAsync();
            return Results.Json(new JsonObject { ["items"] = new JsonArray([.. stored.Where(p => p.Key.StartsWith("form:", StringComparison.Ordinal)).Select(p => (JsonNode)p.Value.DeepClone())]) });
        });

        endpoints.Api.MapPut("/forms/{formId}", async (HttpContext http, string formId) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, actor)) return Forbidden();
            var body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject ?? throw new ValidationException("body", "must be a JSON object");
            var form = WebForm.Parse(formId, body);
            await http.RequestServices.GetRequiredService<ICrmClient>().ForTenant(tenant, actor).PluginData(FormSubmissions.PluginName).SetAsync("form:" + formId, form.ToJson());
            var json = form.ToJson();
            json["postUrl"] = $"/p/{FormSubmissions.PluginName}/{tenant}/{formId}";
            return Results.Json(json);
        });

        endpoints.Api.MapDelete("/forms/{formId}", async (HttpContext http, string formId) =>
        {
            if (CrmCaller.Admin(http) is not var (tenant, actor)) return Forbidden();
            return await http.RequestServices.GetRequiredService<ICrmClient>().ForTenant(tenant, actor).PluginData(FormSubmissions.PluginName).RemoveAsync("form:" + formId)
                ? Results.NoContent()
                : Results.Problem(statusCode: 404, title: "Not found", detail: $"No form '{formId}'.");
        });

        endpoints.Public.MapPost("/{tenant}/{formId}", async (HttpContext http, string tenant, string formId, FormSubmissions submissions) =>
        {
            var form = await submissions.FindFormAsync(tenant, formId);
            if (form is null) return Results.Problem(statusCode: 404, title: "Not found", detail: "No such form.");
            var (values, isForm) = await ReadAsync(http.Request);
            if (values.TryGetValue(Honeypot, out var trap) && !string.IsNullOrEmpty(trap)) return Done(form, isForm); // a bot: nothing is stored
            await submissions.SubmitAsync(tenant, form, values, http.RequestAborted);
            return Done(form, isForm);
        }).RequireRateLimiting(RatePolicy).DisableAntiforgery();
    }

    private static IResult Done(WebForm form, bool isForm) =>
        !isForm ? Results.Json(new JsonObject { ["ok"] = true })
        : form.RedirectUrl is { } url ? Results.Redirect(url, permanent: false, preserveMethod: false)
        : Results.Content($"<!doctype html><html><head><meta charset=\"utf-8\"><title>Thank you</title></head><body><p>Thank you — {WebUtility.HtmlEncode(form.Name)} was received.</p></body></html>", "text/html; charset=utf-8");

    private static async Task<(Dictionary<string, string> Values, bool IsForm)> ReadAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            return (form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal), true);
        }

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body);
        }
        catch (JsonException ex)
        {
            throw new ValidationException("body", "is not valid JSON: " + ex.Message);
        }

        if (body is not JsonObject o) throw new ValidationException("body", "must be a JSON object or a form post");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in o)
        {
            values[key] = value switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
                null => "",
                _ => throw new ValidationException(key, "must be a string"),
            };
        }

        return (values, false);
    }

    private static IResult Forbidden() => Results.Problem(statusCode: 403, title: "Forbidden", detail: "Only admins may manage web forms.");
}
