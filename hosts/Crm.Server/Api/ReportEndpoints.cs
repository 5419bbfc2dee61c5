using System.Globalization;
using System.Text.Json;
using Crm.Engine;
using Crm.Engine.Access;
using Crm.Engine.Reports;

namespace Crm.Server.Api;

/// <summary>
/// <c>/api/v1/reports</c>: pipeline, forecast, win rate, lead-source funnel, cases and owner activity of the caller's
/// tenant, as JSON or as CSV (<c>Accept: text/csv</c> or <c>?format=csv</c>). Reports count every record of the tenant,
/// so agents (who see only their own records) may not read them; rebuilding (every tenant's) is for admins of the bootstrap tenant.
/// </summary>
internal static class ReportEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    public static void MapReports(this RouteGroupBuilder api)
    {
        var reports = api.MapGroup("/reports").WithTags("reports");

        Map(reports, "pipeline", (r, q) => r.PipelineAsync(q), ReportTables.Pipeline);
        Map(reports, "forecast", (r, q) => r.ForecastAsync(q), ReportTables.Forecast);
        Map(reports, "win-rate", (r, q) => r.WinRateAsync(q), ReportTables.WinRate);
        Map(reports, "funnel", (r, q) => r.FunnelAsync(q), ReportTables.Funnel);
        Map(reports, "cases", (r, q) => r.CasesAsync(q), ReportTables.Cases);
        Map(reports, "owner-activity", (r, q) => r.OwnerActivityAsync(q), ReportTables.OwnerActivity);

        reports.MapGet("/status", async (CallerContext rc) =>
        {
            EnsureMayRead(rc);
            return Results.Json(await rc.Crm.Reports.GetStatusAsync(), Json);
        }).WithName("report-status");

        reports.MapPost("/rebuild", async (CallerContext rc, Microsoft.Extensions.Options.IOptions<CrmServerOptions> options) =>
        {
            // One projection serves every tenant, so a rebuild is an operator's act, like managing tenants.
            if (rc.Principal.Role != CrmRole.Admin || rc.Principal.Tenant != options.Value.BootstrapTenant)
            {
                throw new ForbiddenException($"Only admins of the '{options.Value.BootstrapTenant}' tenant rebuild reports (a rebuild covers every tenant).");
            }

            await rc.Crm.Reports.RebuildAsync();
            return Results.Accepted("/api/v1/reports/status");
        }).WithName("rebuild-reports");
    }

    private static void EnsureMayRead(CallerContext rc)
    {
        if (rc.Principal.Role == CrmRole.Agent) throw new ForbiddenException("Reports count every record of the tenant; agents may not read them.");
    }

    /// <summary>Reads and checks the query string; a bad value is a 400 naming its parameter.</summary>
    private static ReportQuery Query(CallerContext rc, HttpContext http)
    {
        EnsureMayRead(rc);
        var q = http.Request.Query;
        Format(http);
        var includeClosed = q["includeClosed"].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            _ => throw new ValidationException("includeClosed", "must be true or false"),
        };
        return new ReportQuery
        {
            From = Date(q["from"].ToString(), "from"),
            To = Date(q["to"].ToString(), "to"),
            Pipeline = q["pipeline"].ToString() is { Length: > 0 } pipeline ? pipeline : null,
            IncludeClosed = includeClosed,
        };
    }

    private static DateOnly? Date(string value, string name)
    {
        if (value.Length == 0) return null;
        return DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new ValidationException(name, "must be a date as yyyy-MM-dd");
    }

    /// <summary>CSV when <c>?format=csv</c>, or when the caller accepts text/csv and no format is given.</summary>
    private static bool Format(HttpContext http) => http.Request.Query["format"].ToString() switch
    {
        "csv" => true,
        "json" => false,
        "" => http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)),
        _ => throw new ValidationException("format", "must be json or csv"),
    };

    /// <summary><c>GET /reports/{name}</c>: the report for the query string's parameters, as JSON or CSV.</summary>
    private static void Map<T>(RouteGroupBuilder reports, string name, Func<ICrmReports, ReportQuery, Task<T>> run, Func<T, ReportTable> table) =>
        reports.MapGet("/" + name, async (CallerContext rc, HttpContext http) => Respond(http, name, await run(rc.Crm.Reports, Query(rc, http)), table))
            .WithName("report-" + name);

    private static IResult Respond<T>(HttpContext http, string name, T report, Func<T, ReportTable> table)
    {
        if (!Format(http)) return Results.Json(report, Json);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.csv\"";
        return Results.Bytes(table(report).ToCsv(), "text/csv; charset=utf-8");
    }
}
