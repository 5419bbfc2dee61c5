using System.Security.Claims;
using System.Text.Encodings.Web;
using Crm.Engine.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Crm.Server.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;api key&gt;</c> against the access directory.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessDirectory directory,
    ActiveUsers users)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("Use 'Authorization: Bearer <api key>'.");

        var key = await directory.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("The API key is unknown or revoked.");

        // A key acts for its user: once the user is deleted or deactivated, the key stops working (within a second).
        if (!await users.IsActiveAsync(key.Tenant, key.UserId, Context.RequestAborted))
        {
            return AuthenticateResult.Fail("The API key's user is deleted or inactive.");
        }

        var identity = new ClaimsIdentity(
        [
            new Claim(CrmClaims.Tenant, key.Tenant),
            new Claim(CrmClaims.User, key.UserId),
            new Claim(CrmClaims.Role, key.Role.ToString()),
            new Claim(CrmClaims.KeyId, key.KeyId),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, StatusCodes.Status401Unauthorized, "unauthorized", "Authentication required",
            "Send 'Authorization: Bearer <api key>' with a valid, unrevoked key.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, StatusCodes.Status403Forbidden, "forbidden", "Forbidden", "Your role may not do this.");
}

/// <summary>Claim types of an authenticated key.</summary>
internal static class CrmClaims
{
    public const string Tenant = Crm.Engine.Plugins.CrmClaimTypes.Tenant;
    public const string User = Crm.Engine.Plugins.CrmClaimTypes.User;
    public const string Role = Crm.Engine.Plugins.CrmClaimTypes.Role;
    public const string KeyId = Crm.Engine.Plugins.CrmClaimTypes.KeyId;

    /// <summary>The caller of a request that passed authentication.</summary>
    public static CrmPrincipal Principal(this HttpContext context)
    {
        var user = context.User;
        return new CrmPrincipal(
            user.FindFirstValue(Tenant) ?? throw new InvalidOperationException("Unauthenticated request reached an API endpoint."),
            user.FindFirstValue(User)!,
            Enum.Parse<CrmRole>(user.FindFirstValue(Role)!),
            user.FindFirstValue(KeyId)!);
    }
}
