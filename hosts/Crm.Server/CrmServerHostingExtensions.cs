using System.Threading.RateLimiting;
using Crm.Engine.Cluster;
using Crm.Engine.Hosting;
using Crm.Engine.Storage.Sqlite;
using Crm.Server.Api;
using Crm.Server.Auth;
using Crm.Server.Cluster;
using Crm.Server.Plugins;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Crm.Server;

/// <summary>Wires the server: engine, authentication, problems, rate limits, health, OpenAPI, routes.</summary>
public static class CrmServerHostingExtensions
{
    /// <summary>
    /// Adds the engine and the API's services: single-node on SQLite under <c>Crm:DataPath</c>, or with
    /// <c>Crm:Cluster:Provider=PostgreSql</c> a node of a cluster sharing the database <c>ConnectionStrings:Crm</c>.
    /// </summary>
    public static WebApplicationBuilder AddCrmServer(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(CrmServerOptions.SectionName);
        var options = new CrmServerOptions
        {
            DataPath = section["DataPath"] ?? "data",
            BootstrapKey = section["Auth:BootstrapKey"] is { Length: > 0 } key ? key : null,
            BootstrapTenant = section["Auth:BootstrapTenant"] ?? "default",
            MaxBodyBytes = section.GetValue<long?>("MaxBodyBytes") ?? 1024 * 1024,
            PermitsPerSecond = section.GetValue<int?>("RateLimit:PermitsPerSecond") ?? 500,
            Burst = section.GetValue<int?>("RateLimit:Burst") ?? 1000,
            PublicPermitsPerSecond = section.GetValue<int?>("RateLimit:PublicPermitsPerSecond") ?? 10,
            PublicBurst = section.GetValue<int?>("RateLimit:PublicBurst") ?? 30,
        };
        Validate(options);
        var cluster = CrmClusterOptions.Bind(builder.Configuration);
        cluster.Validate();
        builder.Services.AddSingleton(Options.Create(options));

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) &&
            string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")))
        {
            builder.WebHost.UseUrls("http://localhost:5080");
        }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes + 1);
        builder.AddCrmEngine(o =>
        {
            // Leases, timer polling and outbox retries (Crm:Coordination:LeaseDuration, TimerPollInterval, ...).
            builder.Configuration.GetSection("Crm:Coordination").Bind(o.Coordination);
            // Cascade depth, failure tolerance, JavaScript limits and rule folders (Crm:Rules:MaxCascadeDepth, Folders:0, ...).
            builder.Configuration.GetSection("Crm:Rules").Bind(o.Rules);
            // Pace of outbound messages and unsubscribe links (Crm:Messaging:PublicBaseUrl, LinkSecret, RatePerSecond:sms, ...).
            builder.Configuration.GetSection("Crm:Messaging").Bind(o.Messaging);
            builder.Configuration.GetSection("Crm:Segments").Bind(o.Segments);
            // Plugin folder and connector circuit breakers (Crm:Plugins:Folder, Enabled, ...); each plugin's own settings are Crm:Plugins:<Name>.
            builder.Configuration.GetSection("Crm:Plugins").Bind(o.Plugins);
            if (cluster.Provider == ClusterProvider.PostgreSql)
            {
                o.UseCrmCluster(cluster, builder.Configuration);
                return;
            }

            o.UseSqlite(Path.Combine(options.DataPath, "crm.db"));
            if (section.GetValue<int?>("Silo:Port") is { } siloPort) o.SiloPort = siloPort;
            if (section.GetValue<int?>("Silo:GatewayPort") is { } gatewayPort) o.GatewayPort = gatewayPort;
        });

        builder.Services.ConfigureHttpJsonOptions(j => j.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<ActiveUsers>();
        builder.Services.AddSingleton<IStreamChangeObserver>(sp => sp.GetRequiredService<ActiveUsers>());
        builder.Services.AddScoped<CallerContext>();
        builder.Services.AddSingleton<RequestDrain>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RequestDrain>());
        builder.Services.AddSingleton<BootstrapService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BootstrapService>());
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Crm.Engine API";
            doc.Info.Description = "Contacts, accounts, deals, cases, interactions, tasks, consent and settings. Authenticate with 'Authorization: Bearer <api key>'.";
            return Task.CompletedTask;
        }));
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("engine", tags: ["ready"]);
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var auth = context.Request.Headers.Authorization.ToString();
                if (!string.IsNullOrEmpty(auth)) return TokenBucket(auth, options.PermitsPerSecond, options.Burst);
                // Anonymous callers reach only the public routes (the rest answers 401): budget those per client address.
                return IsPublicRoute(context.Request.Path)
                    ? TokenBucket("public:" + context.Connection.RemoteIpAddress, options.PublicPermitsPerSecond, options.PublicBurst)
                    : RateLimitPartition.GetNoLimiter("anonymous");
            });
            o.OnRejected = async (ctx, token) =>
            {
                ctx.HttpContext.Response.Headers.RetryAfter = "1";
                var detail = string.IsNullOrEmpty(ctx.HttpContext.Request.Headers.Authorization.ToString())
                    ? $"This address may make {options.PublicPermitsPerSecond} requests per second to public routes on this node; retry after 1 second."
                    : $"This key may make {options.PermitsPerSecond} requests per second on this node; retry after 1 second.";
                await Problems.Write(ctx.HttpContext, 429, "rate_limited", "Too many requests", detail);
            };
        });
        return builder;
    }

    /// <summary>Maps health checks, OpenAPI (<c>/openapi/v1.json</c>), the reference (<c>/docs</c>) and <c>/api/v1</c>.</summary>
    public static WebApplication MapCrmServer(this WebApplication app)
    {
        var drain = app.Services.GetRequiredService<RequestDrain>();
        app.Use(drain.InvokeAsync);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = async context =>
            {
                var ex = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var result = ex is null ? null : Problems.FromException(ex);
                if (result is not null) await result.ExecuteAsync(context);
                else await Problems.Write(context, 500, "internal", "Internal error", "The server failed to handle the request; it was logged.");
            },
            // Bad requests (unbindable query values, broken bodies) are the client's error, not the server's: no error log.
            SuppressDiagnosticsCallback = c => Problems.FromException(c.Exception) is not null,
        });
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var code = context.Response.StatusCode;
            await Problems.Write(context, code, code == 404 ? "not_found" : code == 405 ? "method_not_allowed" : "http_" + code,
                code == 404 ? "Not found" : code == 405 ? "Method not allowed" : "Request failed",
                code == 404 ? $"No route matches {context.Request.Method} {context.Request.Path}." : $"HTTP {code}.");
        });
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapOpenApi();
        app.MapScalarApiReference("/docs");

        var api = app.MapGroup("/api/v1").RequireAuthorization();
        api.AddEndpointFilter(async (ctx, next) =>
        {
            try
            {
                return await next(ctx);
            }
            catch (Exception ex) when (Problems.FromException(ex) is { } problem)
            {
                return problem;
            }
        });
        foreach (var (resource, type) in RecordEndpoints.Resources) api.MapRecordResource(resource, type);
        api.MapDuplicates();
        api.MapConsent();
        api.MapApprovals();
        api.MapAdmin();
        api.MapRules();
        api.MapReports();
        api.MapMessages();
        api.MapSegments();
        app.MapUnsubscribe();
        api.MapPluginCatalog();
        app.MapCrmPlugins(api);
        return app;
    }

    private static bool IsPublicRoute(PathString path) => path.StartsWithSegments("/p") || path.StartsWithSegments("/u");

    private static RateLimitPartition<string> TokenBucket(string partition, int permitsPerSecond, int burst) =>
        RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = permitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    private static void Validate(CrmServerOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.DataPath)) throw new InvalidOperationException("Crm:DataPath must name a directory.");
        if (o.MaxBodyBytes is < 1024 or > 100 * 1024 * 1024) throw new InvalidOperationException("Crm:MaxBodyBytes must be between 1 KiB and 100 MiB.");
        if (o.PermitsPerSecond < 1) throw new InvalidOperationException("Crm:RateLimit:PermitsPerSecond must be at least 1.");
        if (o.Burst < 1) throw new InvalidOperationException("Crm:RateLimit:Burst must be at least 1.");
        if (o.PublicPermitsPerSecond < 1) throw new InvalidOperationException("Crm:RateLimit:PublicPermitsPerSecond must be at least 1.");
        if (o.PublicBurst < 1) throw new InvalidOperationException("Crm:RateLimit:PublicBurst must be at least 1.");
        if (!Crm.Engine.Domain.RecordIds.IsValidTenant(o.BootstrapTenant)) throw new InvalidOperationException("Crm:Auth:BootstrapTenant is not a valid tenant id.");
    }
}

/// <summary>Ready once the bootstrap tenant exists (the silo and store are then up).</summary>
internal sealed class ReadinessCheck(BootstrapService bootstrap) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(bootstrap.Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("starting"));
}
