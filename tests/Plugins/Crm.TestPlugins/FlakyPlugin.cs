using Crm.Engine.Messaging;
using Crm.Engine.Plugins;
using Crm.Engine.Rules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.TestPlugins;

/// <summary>
/// A connector that fails on demand (recipients starting with <c>fail</c> throw, <c>bounce</c> are permanent
/// failures) and logs every call it receives to <c>Crm:Plugins:&lt;Name&gt;:Path</c>; a rule that throws on contacts
/// created with the source <c>explode</c>; a rule whose id is not a rule id; and a hosted service that crashes.
/// </summary>
public sealed class FlakyPlugin : ICrmPlugin
{
    public void ConfigureServices(IServiceCollection services, CrmPluginContext context)
    {
        var path = context.Configuration["Path"] ?? throw new InvalidOperationException($"Crm:Plugins:{context.Name}:Path is required");
        services.AddSingleton<IMessageConnector>(new FlakyConnector(path));
        services.AddSingleton<ICrmRule, ExplodingRule>();
        services.AddSingleton<ICrmRule, BadlyNamedRule>();
        services.AddHostedService<CrashingService>();
    }
}

/// <summary>A hosted service that fails soon after it starts; in the host's own code this would stop the host.</summary>
public sealed class CrashingService : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        throw new InvalidOperationException("the poller lost its connection");
    }
}

public sealed class FlakyConnector(string path) : IMessageConnector
{
    private readonly Lock _gate = new();

    public string Channel => "flaky";

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        lock (_gate) File.AppendAllText(path, message.MessageId + "\n");
        if (message.To.StartsWith("fail", StringComparison.Ordinal)) throw new IOException("gateway unreachable");
        if (message.To.StartsWith("bounce", StringComparison.Ordinal)) throw new PermanentDeliveryException("no such mailbox", suppressAddress: true);
        return Task.CompletedTask;
    }
}

public sealed class ExplodingRule : CrmRule
{
    public override string Id => "flaky.explode";

    public override string On => "contact.created";

    public override bool When(RuleEvent e) => (string?)e.After["source"] == "explode";

    public override void Then(RuleEvent e, IRuleActions act) => throw new InvalidOperationException("kaboom");
}

public sealed class BadlyNamedRule : CrmRule
{
    public override string Id => "Not A Rule Id";

    public override string On => "contact.created";

    public override void Then(RuleEvent e, IRuleActions act) => act.AddTag("never");
}
