using Microsoft.Extensions.Logging;

namespace Crm.Engine.Rules;

/// <summary>
/// Rules that apply to every tenant: compiled C# rules registered with <c>AddCrmRule&lt;T&gt;()</c>, and <c>.js</c>
/// files in <see cref="RuleOptions.Folders"/> (read once, when the engine starts). Such a rule that keeps failing is
/// switched off for the tenant it fails in, on this node, until the node restarts.
/// </summary>
internal sealed partial class EngineWideRules(RuleCompiler compiler, RuleOptions options, ILogger<EngineWideRules> logger)
{
    private readonly Lazy<IReadOnlyList<RuleDefinition>> _definitions = new(() => Load(compiler, options, logger));
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Tenant, string Id), string> _tripped = new();

    /// <summary>The engine-wide rules' definitions, enabled or not.</summary>
    public IReadOnlyList<RuleDefinition> Definitions => _definitions.Value;

    /// <summary>The engine-wide rules that run for <paramref name="tenant"/>.</summary>
    public IEnumerable<ActiveRule> For(string tenant) =>
        Definitions.Where(d => !_tripped.ContainsKey((tenant, d.Id))).Select(d => compiler.Activate(d, tenant));

    /// <summary>The reason an engine-wide rule is off for a tenant, or null.</summary>
    public string? TrippedReason(string tenant, string id) => _tripped.GetValueOrDefault((tenant, id));

    /// <summary>Switches an engine-wide rule off for a tenant on this node; true when it was on.</summary>
    public bool Trip(string tenant, string id, string reason) => _tripped.TryAdd((tenant, id), reason);

    private static IReadOnlyList<RuleDefinition> Load(RuleCompiler compiler, RuleOptions options, ILogger logger)
    {
        var definitions = compiler.CompiledRules.Select(RuleCompiler.Describe).ToList();
        foreach (var folder in options.Folders)
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.js").Order(StringComparer.Ordinal))
            {
                var id = Path.GetFileNameWithoutExtension(file).ToLowerInvariant();
                try
                {
                    var definition = compiler.Analyze(new RuleDraft { Id = id, Source = File.ReadAllText(file) }, tenant: "");
                    if (definition.On == RuleTriggers.Schedule)
                    {
                        LogBadRuleFile(logger, file, "schedule rules are kept per tenant; save it over the API instead");
                        continue;
                    }

                    definitions.Add(definition with { Version = 1, Origin = RuleOrigin.Folder, CreatedBy = "file:" + file });
                }
                catch (CrmException ex)
                {
                    LogBadRuleFile(logger, file, ex.Message);
                }
            }
        }

        var duplicate = definitions.GroupBy(d => d.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two engine-wide rules have the id '{duplicate.Key}'.");
        return definitions;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Rule file {File} was not loaded: {Error}")]
    private static partial void LogBadRuleFile(ILogger logger, string file, string error);
}
