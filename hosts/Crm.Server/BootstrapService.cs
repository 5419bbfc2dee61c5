using Crm.Engine.Access;
using Microsoft.Extensions.Options;

namespace Crm.Server;

/// <summary>On start, makes sure the bootstrap tenant and its admin key exist; a generated key is logged once.</summary>
internal sealed partial class BootstrapService(TenantProvisioning provisioning, IOptions<CrmServerOptions> options, ILogger<BootstrapService> logger)
    : IHostedService
{
    public bool Ready { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var issued = await provisioning.EnsureBootstrapAsync(o.BootstrapTenant, o.BootstrapKey);
        if (issued is not null && o.BootstrapKey is null)
        {
            LogGeneratedKey(logger, o.BootstrapTenant, issued.Key);
        }

        Ready = true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Created tenant '{Tenant}' with admin key {Key} — store it now, it is not shown again.")]
    private static partial void LogGeneratedKey(ILogger logger, string tenant, string key);
}
