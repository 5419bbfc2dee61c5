using System.Text.Json.Nodes;

namespace Crm.Engine.Plugins;

/// <summary>
/// A plugin's own data in one tenant: JSON objects by key (webhook subscriptions, form definitions, mailbox
/// settings). Kept as an event stream like everything else, so every change is audited and every node sees it.
/// Get one with <c>crm.PluginData("MyPlugin")</c>.
/// </summary>
public interface ICrmPluginData
{
    /// <summary>Every key and its value.</summary>
    Task<IReadOnlyDictionary<string, JsonObject>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The value under <paramref name="key"/>, or null.</summary>
    Task<JsonObject?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> (keys: letters, digits, '.', '_', ':', '@', '-'; values up to 64 KiB of JSON).</summary>
    Task SetAsync(string key, JsonObject value, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a key; false when it was not there.</summary>
    Task<bool> RemoveAsync(string key, WriteOptions? options = null, CancellationToken cancellationToken = default);
}
