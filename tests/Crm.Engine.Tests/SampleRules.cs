using Crm.Engine.Rules;

namespace Crm.Engine.Tests;

/// <summary>The JavaScript rules in <c>samples/rules</c>, read from the repository so the samples are what is tested.</summary>
internal static class SampleRules
{
    public static string Folder { get; } = Find();

    public static string Source(string name) => File.ReadAllText(Path.Combine(Folder, name + ".js"));

    /// <summary>Saves samples as tenant rules (id = file name).</summary>
    public static async Task SaveAsync(ICrmClient crm, params string[] names)
    {
        foreach (var name in names) await crm.Rules.CreateAsync(new RuleDraft { Id = name, Source = Source(name) });
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "rules");
            if (Directory.Exists(candidate)) return candidate;
        }

        throw new DirectoryNotFoundException("samples/rules was not found above " + AppContext.BaseDirectory);
    }
}
