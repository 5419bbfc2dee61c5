using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Access;
using Crm.Server.Auth;
using Microsoft.Extensions.Options;

namespace Crm.Server.Api;

/// <summary>The authenticated caller of one request and the engine client scoped to its tenant and key.</summary>
internal sealed class CallerContext
{
    private readonly HttpContext _http;
    private readonly CrmServerOptions _options;
    private CrmPrincipal? _principal;
    private ICrmClient? _crm;

    private readonly ActiveUsers _users;

    public CallerContext(IHttpContextAccessor accessor, ICrmClient crm, IOptions<CrmServerOptions> options, ActiveUsers users)
    {
        _users = users;
        _http = accessor.HttpContext ?? throw new InvalidOperationException("No HTTP request.");
        _options = options.Value;
        RootClient = crm;
    }

    private ICrmClient RootClient { get; }

    public CrmPrincipal Principal => _principal ??= _http.Principal();

    /// <summary>The engine, in the caller's tenant, writing as the caller's key.</summary>
    public ICrmClient Crm => _crm ??= RootClient.ForTenant(Principal.Tenant, Principal.Actor);

    /// <summary>True when the request carries a body (an optional one may be left out).</summary>
    public bool HasBody => _http.Request.ContentLength > 0 || _http.Request.Headers.TransferEncoding.Count > 0;

    public Task<JsonObject> ReadBodyAsync() => RecordJson.ReadObjectAsync(_http.Request, _options.MaxBodyBytes);

    /// <summary>The JSON object body, or an empty object when the request has none.</summary>
    public Task<JsonObject> ReadOptionalBodyAsync() => RecordJson.ReadObjectAsync(_http.Request, _options.MaxBodyBytes, optional: true);

    /// <summary>Write options carrying the request's correlation id and, when given, the version the caller saw.</summary>
    public WriteOptions Write(long? expectedVersion = null) => new()
    {
        ExpectedVersion = expectedVersion,
        CorrelationId = _http.Request.Headers["X-Correlation-Id"].FirstOrDefault() is { Length: > 0 and <= 200 } c ? c : _http.TraceIdentifier,
    };

    /// <summary>Call after changing a record: a changed user's keys follow at once on this node.</summary>
    public void Changed(string type, string id)
    {
        if (type == RecordTypes.User) _users.Forget(Principal.Tenant, id);
    }

    public void EnsureCanWrite(string type)
    {
        if (!AccessPolicy.CanWrite(Principal, type)) throw new ForbiddenException($"The {Principal.Role.ToString().ToLowerInvariant()} role may not change {type} records.");
    }

    public void EnsureAdmin()
    {
        if (!AccessPolicy.IsAdmin(Principal)) throw new ForbiddenException("Only admins may do this.");
    }

    /// <summary>Agents own what they create, and may not hand records to someone else.</summary>
    public void ApplyOwnership(string type, JsonObject body, bool creating)
    {
        if (!AccessPolicy.IsOwnershipScoped(Principal, type)) return;
        var field = AccessPolicy.OwnerField(type)!;
        if (body.ContainsKey(field))
        {
            var value = body[field];
            if (value is not null && (value.GetValueKind() != System.Text.Json.JsonValueKind.String || value.GetValue<string>() != Principal.UserId))
            {
                throw new ForbiddenException($"Agents may only set {field} to themselves.");
            }
        }
        else if (creating)
        {
            body[field] = Principal.UserId;
        }
    }

    /// <summary>The record when it exists and the caller may see it; otherwise null (the API then answers 404).</summary>
    public async Task<CrmRecord?> VisibleAsync(string type, string id, bool includeDeleted = false)
    {
        if (!RecordTypes.IsKnown(type)) return null;
        var record = includeDeleted ? await Crm.GetIncludingDeletedAsync(type, id) : await Crm.GetAsync(type, id);
        // A merged record reads as the survivor; writes and links name records by their own id only.
        return record is not null && record.Id == id && AccessPolicy.CanSee(Principal, record) ? record : null;
    }
}

/// <summary>The caller's role may not do this.</summary>
internal sealed class ForbiddenException(string message) : Exception(message);
