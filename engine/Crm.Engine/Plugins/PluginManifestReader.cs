using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Crm.Engine.Plugins;

/// <summary>Reads and checks a plugin folder's <c>plugin.json</c>; every problem is reported as a sentence naming the field.</summary>
internal static partial class PluginManifestReader
{
    public const string FileName = "plugin.json";

    private static readonly string[] Required = ["name", "version", "assembly", "entryType"];

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The manifest with its parsed versions, or the reason it cannot be used.</summary>
    public static ManifestReadResult Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return ManifestReadResult.Invalid($"the folder has no {FileName}");
        }

        PluginManifest? manifest;
        try
        {
            var text = File.ReadAllText(path);
            if (JsonNode.Parse(text, new JsonNodeOptions { PropertyNameCaseInsensitive = true }, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                is not JsonObject json)
            {
                return ManifestReadResult.Invalid($"{FileName} must hold a JSON object");
            }

            var missing = Required.Where(field => json[field] is null).ToList();
            if (missing.Count > 0)
            {
                return ManifestReadResult.Invalid($"{FileName}: {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} missing");
            }

            manifest = json.Deserialize<PluginManifest>(Json);
        }
        catch (JsonException ex)
        {
            return ManifestReadResult.Invalid($"{FileName} is not a valid manifest: {ex.Message}");
        }
        catch (IOException ex)
        {
            return ManifestReadResult.Invalid($"{FileName} could not be read: {ex.Message}");
        }

        if (manifest is null)
        {
            return ManifestReadResult.Invalid($"{FileName} is empty (null)");
        }

        var errors = new List<string>();
        if (!NamePattern().IsMatch(manifest.Name ?? ""))
        {
            errors.Add($"name '{manifest.Name}' must be 1 to 64 letters, digits, '.' or '-', starting with a letter or digit");
        }
        else if (PluginOptions.IsReservedName(manifest.Name!))
        {
            errors.Add($"name '{manifest.Name}' is reserved: it is a setting in Crm:Plugins");
        }

        var version = ParseVersion(manifest.Version);
        if (version is null) errors.Add($"version '{manifest.Version}' is not a version (e.g. 1.2.0)");
        var minEngine = ParseVersion(manifest.MinEngineVersion);
        if (minEngine is null) errors.Add($"minEngineVersion '{manifest.MinEngineVersion}' is not a version (e.g. 1.0.0)");
        if (string.IsNullOrWhiteSpace(manifest.Assembly) || manifest.Assembly != Path.GetFileName(manifest.Assembly)
            || !manifest.Assembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"assembly '{manifest.Assembly}' must be the file name of a .dll in the plugin's folder");
        }

        if (string.IsNullOrWhiteSpace(manifest.EntryType))
        {
            errors.Add("entryType must be the full name of the type implementing ICrmPlugin");
        }

        return errors.Count > 0
            ? ManifestReadResult.Invalid(FileName + ": " + string.Join("; ", errors), manifest)
            : new ManifestReadResult(manifest, version, minEngine, null);
    }

    /// <summary>Reads <c>1.2</c>, <c>1.2.3</c> and <c>1.2.3-beta.1</c> (the pre-release and build parts are not compared).</summary>
    public static Version? ParseVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var core = text.Split('-', '+')[0];
        return Version.TryParse(core, out var version) && version.Revision < 0 && version.Major >= 0 ? Normalize(version) : null;
    }

    /// <summary>Major.minor.patch: assembly versions carry a fourth part that manifests do not.</summary>
    public static Version Normalize(Version version) => new(version.Major, version.Minor, Math.Max(version.Build, 0));

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$")]
    private static partial Regex NamePattern();
}

/// <summary>A manifest that can be used (<see cref="Error"/> null), or why not.</summary>
internal sealed record ManifestReadResult(PluginManifest? Manifest, Version? Version, Version? MinEngineVersion, string? Error)
{
    public static ManifestReadResult Invalid(string error, PluginManifest? manifest = null) => new(manifest, null, null, error);
}
