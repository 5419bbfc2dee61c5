using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Engine.Domain;
using Crm.Engine.Rules;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>The single writer of a tenant's rules stream; publishes each change to the silo's rule-set cache.</summary>
internal sealed partial class RuleBookGrain(IEventStore store, RuleSetProvider provider, RuleCompiler compiler, TimeProvider time) : Grain, IRuleBookGrain
{
    private string _tenant = "";
    private List<CrmEvent> _events = [];
    private RuleBook _book = new();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _tenant = this.GetPrimaryKeyString();
        await ReloadAsync(cancellationToken);
    }

    private async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        _events = [.. await store.ReadStreamAsync(_tenant, StreamIds.Rules, 1, int.MaxValue, cancellationToken)];
        _book = RuleBook.Fold(_events);
        provider.Publish(_tenant, _book);
    }

    public Task<IReadOnlyList<RuleDefinition>> ListAsync() =>
        Task.FromResult<IReadOnlyList<RuleDefinition>>([.. _book.Rules.Where(r => !r.Deleted).Select(r => r.Current).OrderBy(r => r.Id, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<RuleDefinition>> VersionsAsync(string id) =>
        Task.FromResult<IReadOnlyList<RuleDefinition>>(_book.Find(id)?.Versions.ToArray() ?? []);

    public Task<RuleDefinition> SaveAsync(RuleDraft draft, bool mustBeNew, WriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (!IsValidId(draft.Id)) throw new ValidationException("id", "must be 1 to 100 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit");
        if (draft.Name is { Length: > 200 }) throw new ValidationException("name", "must be at most 200 characters");
        if (draft.Description is { Length: > 2_000 }) throw new ValidationException("description", "must be at most 2000 characters");
        var definition = compiler.Analyze(draft, _tenant);
        if (!IsValidId(definition.Id)) throw new ValidationException("id", "must be 1 to 100 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit");
        var entry = _book.Find(definition.Id);
        if (mustBeNew && entry is { Deleted: false }) throw new RecordExistsException("rule", definition.Id);
        if (!mustBeNew && entry is null or { Deleted: true }) throw new RecordNotFoundException("rule", definition.Id);
        var now = Now();
        var saved = definition with
        {
            Version = (entry?.Versions.Count ?? 0) + 1,
            Origin = RuleOrigin.Tenant,
            CreatedAt = now,
            CreatedBy = (options.Actor ?? Actor.System).ToString(),
            DisabledReason = definition.Enabled ? null : definition.DisabledReason,
        };
        return AppendAsync(EventTypes.RuleSaved, RuleBook.SavedPayload(saved), options, now, saved.Id);
    }

    public Task<RuleDefinition> SetEnabledAsync(string id, bool enabled, string? reason, WriteOptions options)
    {
        var entry = _book.Find(id);
        if (entry is null or { Deleted: true }) throw new RecordNotFoundException("rule", id);
        if (entry.Enabled == enabled && (enabled || entry.DisabledReason == reason)) return Task.FromResult(entry.Current);
        if (reason is { Length: > 2_000 }) reason = reason[..2_000];
        return AppendAsync(enabled ? EventTypes.RuleEnabled : EventTypes.RuleDisabled,
            new JsonObject { ["id"] = id, ["reason"] = enabled ? null : reason }, options, Now(), id);
    }

    public async Task DeleteAsync(string id, WriteOptions options)
    {
        var entry = _book.Find(id);
        if (entry is null or { Deleted: true }) throw new RecordNotFoundException("rule", id);
        await AppendAsync(EventTypes.RuleDeleted, new JsonObject { ["id"] = id }, options, Now(), id);
    }

    private DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return _events.Count > 0 && now < _events[^1].Time ? _events[^1].Time : now;
    }

    private async Task<RuleDefinition> AppendAsync(string type, JsonObject payload, WriteOptions options, DateTimeOffset now, string id)
    {
        var version = _events.Count;
        var batch = new EventBatch(_tenant, StreamIds.Rules, version, now, options, Actor.System);
        batch.Add(type, payload);
        try
        {
            await store.AppendAsync(new AppendRequest { Tenant = _tenant, StreamId = StreamIds.Rules, ExpectedVersion = version, Events = batch.Events });
        }
        catch (ConcurrencyConflictException)
        {
            await ReloadAsync();
            throw;
        }

        _events.AddRange(batch.AsCommitted());
        _book = RuleBook.Fold(_events);
        provider.Publish(_tenant, _book);
        return _book.Find(id)!.Current;
    }

    internal static bool IsValidId(string? id) => id is not null && RuleId().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex RuleId();
}
