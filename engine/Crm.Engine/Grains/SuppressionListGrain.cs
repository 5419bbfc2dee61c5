using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Messaging;
using Crm.Engine.Settings;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>
/// The single writer of a tenant's suppression list: addresses (per channel) no message may go to — hard bounces,
/// SMS STOP replies, an operator's decision. A stream like any other, so every entry says when, why and by whom.
/// </summary>
internal sealed class SuppressionListGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time) : Grain, ISuppressionListGrain
{
    private const int MaxReasonLength = 1_000;
    private string _tenant = "";
    private long _version;
    private readonly Dictionary<(string Channel, string Address), Suppression> _entries = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _tenant = this.GetPrimaryKeyString();
        await ReloadAsync(cancellationToken);
    }

    private async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        _entries.Clear();
        var events = await store.ReadStreamAsync(_tenant, StreamIds.Suppressions, 1, int.MaxValue, cancellationToken);
        foreach (var e in events) Apply(e);
        _version = events.Count;
    }

    private void Apply(CrmEvent e)
    {
        var payload = JsonNode.Parse(e.PayloadJson)!;
        var key = ((string)payload["channel"]!, (string)payload["address"]!);
        if (e.Type == EventTypes.SuppressionAdded) _entries[key] = new Suppression(key.Item1, key.Item2, (string?)payload["reason"] ?? "", e.Time, e.Actor.ToString());
        else _entries.Remove(key);
    }

    public Task<IReadOnlyList<Suppression>> ListAsync(string? channel) =>
        Task.FromResult<IReadOnlyList<Suppression>>([.. _entries.Values.Where(s => channel is null || s.Channel == channel).OrderBy(s => s.Channel, StringComparer.Ordinal).ThenBy(s => s.Address, StringComparer.Ordinal)]);

    public async Task<Suppression?> FindAsync(string channel, string address)
    {
        var key = await KeyAsync(channel, address, validate: false);
        return key is { } k ? _entries.GetValueOrDefault(k) : null;
    }

    public async Task<Suppression> AddAsync(string channel, string address, string reason, WriteOptions options)
    {
        var key = (await KeyAsync(channel, address, validate: true))!.Value;
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength) throw new ValidationException("reason", $"is required (at most {MaxReasonLength} characters)");
        if (_entries.TryGetValue(key, out var existing)) return existing;
        await AppendAsync(EventTypes.SuppressionAdded, new JsonObject { ["channel"] = key.Channel, ["address"] = key.Address, ["reason"] = reason.Trim() }, options);
        return _entries[key];
    }

    public async Task<bool> RemoveAsync(string channel, string address, WriteOptions options)
    {
        var key = await KeyAsync(channel, address, validate: false);
        if (key is not { } k || !_entries.ContainsKey(k)) return false;
        await AppendAsync(EventTypes.SuppressionRemoved, new JsonObject { ["channel"] = k.Channel, ["address"] = k.Address }, options);
        return true;
    }

    private async Task<(string Channel, string Address)?> KeyAsync(string channel, string address, bool validate)
    {
        if (string.IsNullOrWhiteSpace(channel) || channel.Length > 32 || !channel.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            return validate ? throw new ValidationException("channel", "must be a lower-case channel name such as email or sms") : null;
        }

        var normalized = address is { Length: <= 320 } ? ContactPoints.NormalizeAddress(channel, address, (await settings.GetAsync(_tenant)).DefaultPhoneRegion) : null;
        if (normalized is null) return validate ? throw new ValidationException("address", $"'{address}' is not an address on {channel}") : null;
        return (channel, normalized);
    }

    private async Task AppendAsync(string type, JsonObject payload, WriteOptions options)
    {
        var now = time.GetUtcNow();
        var batch = new EventBatch(_tenant, StreamIds.Suppressions, _version, now, options, Actor.System);
        batch.Add(type, payload);
        try
        {
            await store.AppendAsync(new AppendRequest { Tenant = _tenant, StreamId = StreamIds.Suppressions, ExpectedVersion = _version, Events = batch.Events });
        }
        catch (ConcurrencyConflictException)
        {
            await ReloadAsync();
            throw;
        }

        foreach (var e in batch.AsCommitted()) Apply(e);
        _version += batch.Events.Count;
    }
}
