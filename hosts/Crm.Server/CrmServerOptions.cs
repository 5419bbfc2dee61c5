namespace Crm.Server;

/// <summary>Server options, bound from the <c>Crm</c> configuration section.</summary>
public sealed class CrmServerOptions
{
    public const string SectionName = "Crm";

    /// <summary><c>Crm:DataPath</c>: the data directory (holds crm.db and its lock file).</summary>
    public string DataPath { get; set; } = "data";

    /// <summary><c>Crm:Auth:BootstrapKey</c>: the first admin key of the default tenant; generated and logged once when unset.</summary>
    public string? BootstrapKey { get; set; }

    /// <summary><c>Crm:Auth:BootstrapTenant</c>: the tenant created on first start; its admins administer tenants.</summary>
    public string BootstrapTenant { get; set; } = "default";

    /// <summary><c>Crm:MaxBodyBytes</c>: the largest request body accepted (default 1 MiB).</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary><c>Crm:RateLimit:PermitsPerSecond</c>: requests per second per API key on this node (token bucket).</summary>
    public int PermitsPerSecond { get; set; } = 500;

    /// <summary><c>Crm:RateLimit:Burst</c>: requests a key may make at once before the per-second rate applies.</summary>
    public int Burst { get; set; } = 1000;

    /// <summary>
    /// <c>Crm:RateLimit:PublicPermitsPerSecond</c>: requests per second per client address on this node to the
    /// anonymous public routes (<c>/p/…</c> of plugins, <c>/u/…</c> unsubscribe links).
    /// </summary>
    public int PublicPermitsPerSecond { get; set; } = 10;

    /// <summary><c>Crm:RateLimit:PublicBurst</c>: public requests a client address may make at once.</summary>
    public int PublicBurst { get; set; } = 30;
}
