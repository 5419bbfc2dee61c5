using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Engine.Domain;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>The single writer of one plugin's data in one tenant: JSON values by key, every change an event.</summary>
internal sealed partial class PluginDataGrain(IEventStore store, TimeProvider time) : Grain, IPluginDataGrain
{
    private const int MaxValueLength = 64 * 1024;
    private const int MaxKeys = 10_000;
    private string _tenant = "";
    private string _stream = "";
    private long _version;
    private readonly SortedDictionary<string, string> _values = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/');
        _tenant = key[..slash];
        _stream = StreamIds.ForPluginData(key[(slash + 1)..]);
        await ReloadAsync(cancellationToken);
    }

    private async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        _values.Clear();
        var events = await store.ReadStreamAsync(_tenant, _stream, 1, int.MaxValue, cancellationToken);
        foreach (var e in events) Apply(e);
        _version = events.Count;
    }

    private void Apply(CrmEvent e)
    {
        var payload = JsonNode.Parse(e.PayloadJson)!;
        var key = (string)payload["key"]!;
        if (e.Type == EventTypes.PluginDataSet) _values[key] = payload["value"]!.ToJsonString();
        else _values.Remove(key);
    }

    public Task<IReadOnlyDictionary<string, string>> ListAsync() => Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(_values));

    public Task<string?> GetAsync(string key) => Task.FromResult(_values.GetValueOrDefault(key));

    public async Task SetAsync(string key, string valueJson, WriteOptions options)
    {
        if (key is null || !Key().IsMatch(key)) throw new ValidationException("key", "must be 1 to 200 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit");
        if (valueJson.Length > MaxValueLength) throw new ValidationException("value", $"must be at most {MaxValueLength} characters of JSON");
        if (JsonNode.Parse(valueJson) is not JsonObject value) throw new ValidationException("value", "must be a JSON object");
        if (!_values.ContainsKey(key) && _values.Count >= MaxKeys) throw new ValidationException("key", $"a plugin keeps at most {MaxKeys} values per tenant");
        if (_values.TryGetValue(key, out var current) && current == value.ToJsonString()) return;
        await AppendAsync(EventTypes.PluginDataSet, new JsonObject { ["key"] = key, ["value"] = value }, options);
    }

    public async Task<bool> RemoveAsync(string key, WriteOptions options)
    {
        if (!_values.ContainsKey(key)) return false;
        await AppendAsync(EventTypes.PluginDataRemoved, new JsonObject { ["key"] = key }, options);
        return true;
    }

    private async Task AppendAsync(string type, JsonObject payload, WriteOptions options)
    {
        var batch = new EventBatch(_tenant, _stream, _version, time.GetUtcNow(), options, Actor.System);
        batch.Add(type, payload);
        try
        {
            await store.AppendAsync(new AppendRequest { Tenant = _tenant, StreamId = _stream, ExpectedVersion = _version, Events = batch.Events });
        }
        catch (ConcurrencyConflictException)
        {
            await ReloadAsync();
            throw;
        }

        foreach (var e in batch.AsCommitted()) Apply(e);
        _version += batch.Events.Count;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$")]
    private static partial Regex Key();
}
