using Crm.Engine.Rules.JavaScript;

namespace Crm.Engine.Rules;

/// <summary>How rules run: cascade depth, failure tolerance, JavaScript limits (per tenant) and rule folders.</summary>
public sealed class RuleOptions
{
    /// <summary>How many rule actions may lead to one another; a deeper cascade is stopped and recorded as a failure.</summary>
    public int MaxCascadeDepth { get; set; } = 8;

    /// <summary>A rule that fails this many times in a row is disabled, with its last error as the reason.</summary>
    public int DisableAfterFailures { get; set; } = 5;

    /// <summary>Limits of one JavaScript evaluation for every tenant without its own.</summary>
    public JavaScriptLimits JavaScript { get; } = new();

    /// <summary>Limits of tenants that need different ones (key: tenant id).</summary>
    public Dictionary<string, JavaScriptLimits> TenantLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>Folders of <c>.js</c> rule files that apply to every tenant; the file name (without <c>.js</c>) is the rule id.</summary>
    public List<string> Folders { get; } = [];

    /// <summary>Time-out of one webhook call made by a rule.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The JavaScript limits of a tenant.</summary>
    public JavaScriptLimits LimitsFor(string tenant) => TenantLimits.GetValueOrDefault(tenant) ?? JavaScript;

    internal void Validate()
    {
        if (MaxCascadeDepth is < 1 or > 64) throw new InvalidOperationException("Crm:Rules:MaxCascadeDepth must be between 1 and 64.");
        if (DisableAfterFailures is < 1 or > 10_000) throw new InvalidOperationException("Crm:Rules:DisableAfterFailures must be between 1 and 10000.");
        if (WebhookTimeout <= TimeSpan.Zero) throw new InvalidOperationException("Crm:Rules:WebhookTimeout must be positive.");
        foreach (var folder in Folders)
        {
            if (!Directory.Exists(folder)) throw new InvalidOperationException($"Crm:Rules:Folders: '{folder}' is not a folder.");
        }
    }
}
