using System.Reflection;
using System.Text.Json.Nodes;

namespace Crm.Plugins.Testing;

/// <summary>
/// A plugins folder for one test, filled with the build output of <c>samples/CustomPlugin</c> and of the test plugins
/// under <c>tests/Plugins</c> (built before the tests, never referenced by them), so the engine loads them the way a
/// host does: from a folder, through the plugin loader. Deleted on dispose.
/// </summary>
public sealed class TestPluginFolder : IDisposable
{
    private static readonly string RepositoryRoot = Metadata("CrmRepositoryRoot");
    private static readonly string BuildConfiguration = Metadata("CrmConfiguration");

    public TestPluginFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "crm-plugins-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder to give the engine as <c>Crm:Plugins:Folder</c>.</summary>
    public string Path { get; }

    /// <summary>A file path inside the test's folder (outside the plugins' sub-folders), for plugins to write to.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary><c>samples/CustomPlugin</c> as <c>CustomPlugin/</c>, with its own manifest.</summary>
    public TestPluginFolder AddSample() => CopyOutput("samples/CustomPlugin", "CustomPlugin");

    /// <summary>A first-party plugin from <c>plugins/&lt;project&gt;</c>, as <paramref name="name"/>/ with its own manifest.</summary>
    public TestPluginFolder AddFirstParty(string project, string name) => CopyOutput("plugins/" + project, name);

    /// <summary><c>Crm.TestPlugins</c> as <c>&lt;name&gt;/</c>, with a manifest naming <paramref name="entryType"/> (a type of <c>Crm.TestPlugins</c>).</summary>
    public TestPluginFolder AddTestPlugin(string name, string entryType, string minEngineVersion = "1.0.0")
    {
        CopyOutput("tests/Plugins/Crm.TestPlugins", name);
        return WriteManifest(name, new JsonObject
        {
            ["name"] = name,
            ["version"] = "1.0.0",
            ["assembly"] = "Crm.TestPlugins.dll",
            ["entryType"] = "Crm.TestPlugins." + entryType,
            ["minEngineVersion"] = minEngineVersion,
        }.ToJsonString());
    }

    /// <summary><c>Crm.TestPlugins.MissingDependency</c> as <c>MissingDependency/</c>: it needs an assembly it does not ship.</summary>
    public TestPluginFolder AddMissingDependency() => CopyOutput("tests/Plugins/Crm.TestPlugins.MissingDependency", "MissingDependency");

    /// <summary>A folder holding only a <c>plugin.json</c> with <paramref name="manifest"/> as its text.</summary>
    public TestPluginFolder AddManifestOnly(string folder, string manifest) => WriteManifest(folder, manifest);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private TestPluginFolder CopyOutput(string project, string folder)
    {
        var output = System.IO.Path.Combine(RepositoryRoot, project, "bin", BuildConfiguration, "net10.0");
        if (!System.IO.File.Exists(System.IO.Path.Combine(output, "plugin.json")))
        {
            throw new InvalidOperationException($"{project} is not built in {output}: build the test project (it builds the plugins first) or the solution.");
        }

        var target = System.IO.Path.Combine(Path, folder);
        foreach (var file in Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories))
        {
            var destination = System.IO.Path.Combine(target, System.IO.Path.GetRelativePath(output, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            System.IO.File.Copy(file, destination, overwrite: true);
        }

        return this;
    }

    private TestPluginFolder WriteManifest(string folder, string text)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(Path, folder));
        System.IO.File.WriteAllText(System.IO.Path.Combine(Path, folder, "plugin.json"), text);
        return this;
    }

    private static string Metadata(string key) =>
        typeof(TestPluginFolder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"The test assembly has no [AssemblyMetadata(\"{key}\")]; its project file sets it.");
}
