using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Engine.Grains;
using Crm.Engine.Plugins;

namespace Crm.Engine.Client;

/// <summary>The <see cref="ICrmPluginData"/> of one plugin in one tenant, over its grain.</summary>
internal sealed partial class CrmPluginData : ICrmPluginData
{
    private readonly IPluginDataGrain _grain;
    private readonly Actor _actor;

    public CrmPluginData(IGrainFactory grains, string tenant, string plugin, Actor actor)
    {
        if (plugin is null || !PluginName().IsMatch(plugin)) throw new ValidationException("plugin", "must be 1 to 64 letters, digits, '.' or '-', starting with a letter or digit");
        _grain = grains.GetGrain<IPluginDataGrain>(tenant + "/" + plugin);
        _actor = actor;
    }

    public async Task<IReadOnlyDictionary<string, JsonObject>> ListAsync(CancellationToken cancellationToken = default) =>
        (await _grain.ListAsync()).ToDictionary(p => p.Key, p => JsonNode.Parse(p.Value)!.AsObject(), StringComparer.Ordinal);

    public async Task<JsonObject?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        await _grain.GetAsync(key) is { } json ? JsonNode.Parse(json)!.AsObject() : null;

    public Task SetAsync(string key, JsonObject value, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return _grain.SetAsync(key, value.ToJsonString(), options.ActingAs(_actor));
    }

    public Task<bool> RemoveAsync(string key, WriteOptions? options = null, CancellationToken cancellationToken = default) => _grain.RemoveAsync(key, options.ActingAs(_actor));

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$")]
    private static partial Regex PluginName();
}
