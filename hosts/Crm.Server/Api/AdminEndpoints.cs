using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Access;
using Crm.Engine.Settings;
using Crm.Server.Auth;
using Microsoft.Extensions.Options;

namespace Crm.Server.Api;

/// <summary>Tenants, API keys, tenant settings and the caller's identity.</summary>
internal static class AdminEndpoints
{
    public static void MapAdmin(this RouteGroupBuilder api)
    {
        api.MapGet("/me", (CallerContext rc) => Results.Json(new JsonObject
        {
            ["tenant"] = rc.Principal.Tenant,
            ["userId"] = rc.Principal.UserId,
            ["role"] = rc.Principal.Role.ToString().ToLowerInvariant(),
            ["keyId"] = rc.Principal.KeyId,
        })).WithTags("access").WithName("me");

        var tenants = api.MapGroup("/tenants").WithTags("access");
        tenants.MapPost("/", async (CallerContext rc, TenantProvisioning provisioning, IOptions<CrmServerOptions> options) =>
        {
            EnsurePlatformAdmin(rc, options.Value);
            var body = await rc.ReadBodyAsync();
            var id = Str(body, "id") ?? throw new ValidationException("id", "is required: lower-case letters, digits, '-' or '_'");
            var (tenant, key) = await provisioning.CreateTenantAsync(id, Str(body, "name") ?? id, Str(body, "adminName") ?? "Administrator",
                Str(body, "adminEmail") ?? "admin@localhost.localdomain", rc.Principal.Actor);
            return Results.Created($"/api/v1/tenants/{tenant.Id}", new JsonObject
            {
                ["id"] = tenant.Id,
                ["name"] = tenant.Name,
                ["createdAt"] = tenant.CreatedAt.UtcDateTime,
                ["adminKey"] = key.Key,
                ["adminUserId"] = key.Info.UserId,
            });
        }).WithName("create-tenant").Accepts<JsonObject>("application/json");
        tenants.MapGet("/", async (CallerContext rc, IGrainFactory grains, IOptions<CrmServerOptions> options) =>
        {
            EnsurePlatformAdmin(rc, options.Value);
            var list = await Registry(grains).ListTenantsAsync();
            return Results.Json(new JsonObject { ["items"] = new JsonArray([.. list.Select(t => (JsonNode)new JsonObject { ["id"] = t.Id, ["name"] = t.Name, ["createdAt"] = t.CreatedAt.UtcDateTime })]), ["next"] = null });
        }).WithName("list-tenants");

        var keys = api.MapGroup("/keys").WithTags("access");
        keys.MapGet("/", async (CallerContext rc, IGrainFactory grains) =>
        {
            rc.EnsureAdmin();
            var list = await Registry(grains).ListKeysAsync(rc.Principal.Tenant);
            return Results.Json(new JsonObject { ["items"] = new JsonArray([.. list.Select(k => (JsonNode)KeyJson(k))]), ["next"] = null });
        }).WithName("list-keys");
        keys.MapPost("/", async (CallerContext rc, IGrainFactory grains) =>
        {
            rc.EnsureAdmin();
            var body = await rc.ReadBodyAsync();
            var userId = Str(body, "userId") ?? throw new ValidationException("userId", "is required: the user the key acts for");
            var roleText = Str(body, "role") ?? throw new ValidationException("role", "is required: admin, manager, agent or readonly");
            if (!Enum.TryParse<CrmRole>(roleText, ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(roleText, out _))
            {
                throw new ValidationException("role", "must be admin, manager, agent or readonly");
            }

            if (await rc.Crm.GetAsync(RecordTypes.User, userId) is null) throw new ValidationException("userId", $"no user '{userId}' in this tenant");
            var issued = await Registry(grains).IssueKeyAsync(rc.Principal.Tenant, userId, role, Str(body, "name") ?? "api key", null, rc.Principal.Actor);
            var json = KeyJson(issued.Info);
            json["key"] = issued.Key;
            return Results.Created($"/api/v1/keys/{issued.Info.KeyId}", json);
        }).WithName("create-key").Accepts<JsonObject>("application/json");
        keys.MapDelete("/{keyId}", async (CallerContext rc, IGrainFactory grains, string keyId) =>
        {
            rc.EnsureAdmin();
            return Results.Json(KeyJson(await Registry(grains).RevokeKeyAsync(rc.Principal.Tenant, keyId, rc.Principal.Actor)));
        }).WithName("revoke-key");

        var settings = api.MapGroup("/settings").WithTags("settings");
        settings.MapGet("/", async (CallerContext rc, string? asOf) =>
            Results.Json(await rc.Crm.GetSettingsAsync(RecordJson.ParseTime(asOf, "asOf")), TenantSettingsFold.Json)).WithName("get-settings");
        settings.MapPatch("/", async (CallerContext rc) =>
        {
            rc.EnsureAdmin();
            var change = Deserialize<GeneralSettingsChange>(await rc.ReadBodyAsync());
            return Results.Json(await rc.Crm.ChangeSettingsAsync(change, rc.Write()), TenantSettingsFold.Json);
        }).WithName("change-settings").Accepts<GeneralSettingsChange>("application/json");
        settings.MapPut("/custom-fields/{recordType}/{name}", async (CallerContext rc, string recordType, string name) =>
        {
            rc.EnsureAdmin();
            var body = await rc.ReadBodyAsync();
            body["recordType"] = RecordEndpoints.Resources.TryGetValue(recordType, out var t) ? t : recordType;
            body["name"] = name;
            return Results.Json(await rc.Crm.DefineCustomFieldAsync(Deserialize<CustomFieldDefinition>(body), rc.Write()), TenantSettingsFold.Json);
        }).WithName("define-custom-field").Accepts<CustomFieldDefinition>("application/json");
        settings.MapDelete("/custom-fields/{recordType}/{name}", async (CallerContext rc, string recordType, string name) =>
        {
            rc.EnsureAdmin();
            var type = RecordEndpoints.Resources.TryGetValue(recordType, out var t) ? t : recordType;
            return Results.Json(await rc.Crm.RemoveCustomFieldAsync(type, name, rc.Write()), TenantSettingsFold.Json);
        }).WithName("remove-custom-field");
        settings.MapPut("/pipelines/{id}", async (CallerContext rc, string id) =>
        {
            rc.EnsureAdmin();
            var body = await rc.ReadBodyAsync();
            body["id"] = id;
            return Results.Json(await rc.Crm.DefinePipelineAsync(Deserialize<Pipeline>(body), rc.Write()), TenantSettingsFold.Json);
        }).WithName("define-pipeline").Accepts<Pipeline>("application/json");
        settings.MapPut("/sla-targets/{queueId}", (CallerContext rc, string queueId) => DefineSlaTargetAsync(rc, queueId, null))
            .WithName("define-sla-target").Accepts<SlaTarget>("application/json");
        settings.MapPut("/sla-targets/{queueId}/{priority}", (CallerContext rc, string queueId, string priority) => DefineSlaTargetAsync(rc, queueId, priority))
            .WithName("define-sla-target-for-priority").Accepts<SlaTarget>("application/json");
        settings.MapDelete("/sla-targets/{queueId}", async (CallerContext rc, string queueId) =>
        {
            rc.EnsureAdmin();
            return Results.Json(await rc.Crm.RemoveSlaTargetAsync(queueId, null, rc.Write()), TenantSettingsFold.Json);
        }).WithName("remove-sla-target");
        settings.MapDelete("/sla-targets/{queueId}/{priority}", async (CallerContext rc, string queueId, string priority) =>
        {
            rc.EnsureAdmin();
            return Results.Json(await rc.Crm.RemoveSlaTargetAsync(queueId, priority, rc.Write()), TenantSettingsFold.Json);
        }).WithName("remove-sla-target-for-priority");
        settings.MapPut("/exchange-rates/{currency}/{from}", async (CallerContext rc, string currency, string from) =>
        {
            rc.EnsureAdmin();
            var body = await rc.ReadBodyAsync();
            if (body["rate"] is not System.Text.Json.Nodes.JsonValue rate || rate.GetValueKind() != System.Text.Json.JsonValueKind.Number)
            {
                throw new ValidationException("rate", "is required: units of the base currency per unit of the currency");
            }

            var change = new ExchangeRate { Currency = currency, From = Day(from), Rate = rate.GetValue<decimal>() };
            return Results.Json(await rc.Crm.SetExchangeRateAsync(change, rc.Write()), TenantSettingsFold.Json);
        }).WithName("set-exchange-rate").Accepts<System.Text.Json.Nodes.JsonObject>("application/json");
        settings.MapDelete("/exchange-rates/{currency}/{from}", async (CallerContext rc, string currency, string from) =>
        {
            rc.EnsureAdmin();
            return Results.Json(await rc.Crm.RemoveExchangeRateAsync(currency, Day(from), rc.Write()), TenantSettingsFold.Json);
        }).WithName("remove-exchange-rate");
    }

    private static DateOnly Day(string value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day)
            ? day
            : throw new ValidationException("from", "must be a date as yyyy-MM-dd");

    /// <summary>The target's queue and priority come from the route (<c>*</c>: the default queue); the body holds its minutes.</summary>
    private static async Task<IResult> DefineSlaTargetAsync(CallerContext rc, string queueId, string? priority)
    {
        rc.EnsureAdmin();
        var body = await rc.ReadBodyAsync();
        body["queueId"] = queueId;
        body["priority"] = priority;
        return Results.Json(await rc.Crm.DefineSlaTargetAsync(Deserialize<SlaTarget>(body), rc.Write()), TenantSettingsFold.Json);
    }

    private static IAccessRegistryGrain Registry(IGrainFactory grains) => grains.GetGrain<IAccessRegistryGrain>(AccessState.SystemTenant);

    private static void EnsurePlatformAdmin(CallerContext rc, CrmServerOptions options)
    {
        if (rc.Principal.Role != CrmRole.Admin || rc.Principal.Tenant != options.BootstrapTenant)
        {
            throw new ForbiddenException($"Only admins of the '{options.BootstrapTenant}' tenant manage tenants.");
        }
    }

    private static JsonObject KeyJson(ApiKeyInfo k) => new()
    {
        ["keyId"] = k.KeyId,
        ["userId"] = k.UserId,
        ["role"] = k.Role.ToString().ToLowerInvariant(),
        ["name"] = k.Name,
        ["prefix"] = k.Prefix,
        ["createdAt"] = k.CreatedAt.UtcDateTime,
        ["revokedAt"] = k.RevokedAt?.UtcDateTime,
    };

    private static string? Str(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new ValidationException(name, "must be a string"),
    };

    private static T Deserialize<T>(JsonObject body)
    {
        try
        {
            var options = new JsonSerializerOptions(TenantSettingsFold.Json) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };
            return body.Deserialize<T>(options) ?? throw new ValidationException("body", "is required");
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
            throw new ValidationException(field, ex.Message);
        }
    }
}
