using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Grains;

/// <summary>
/// The grain behind every record type: loads its stream, validates commands, appends events with the expected
/// version it loaded, and writes the read-model row in the same append.
/// </summary>
internal abstract partial class RecordGrain(string type, IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger logger)
    : Grain, IRecordGrain
{
    private const int MaxLinks = 500;

    // Which record owns which links: activities link to what they concern; an account to its people; a deal and a
    // case to their customer.
    private static readonly Dictionary<string, string[]> LinkTargets = new()
    {
        [RecordTypes.Interaction] = [RecordTypes.Contact, RecordTypes.Account, RecordTypes.Deal, RecordTypes.Case],
        [RecordTypes.Task] = [RecordTypes.Contact, RecordTypes.Account, RecordTypes.Deal, RecordTypes.Case],
        [RecordTypes.Account] = [RecordTypes.Contact],
        [RecordTypes.Deal] = [RecordTypes.Account, RecordTypes.Contact],
        [RecordTypes.Case] = [RecordTypes.Contact, RecordTypes.Account],
        [RecordTypes.Contact] = [RecordTypes.Account],
    };
    private const int ConflictRetries = 3;

    /// <summary>Whether a record of <paramref name="ownerType"/> can hold a link to one of <paramref name="targetType"/>.</summary>
    internal static bool CanLink(string ownerType, string targetType) =>
        LinkTargets.TryGetValue(ownerType, out var targets) && targets.Contains(targetType);

    protected string Tenant { get; private set; } = "";
    protected string Id { get; private set; } = "";
    protected string StreamId { get; private set; } = "";
    protected RecordState State { get => Session.State; private set => Session.State = value; }
    protected string Type => type;
    protected TenantSettingsProvider Settings => settings;

    // The stream is read on first use, not on activation: a create optimistically appends at version 0 without
    // reading, and the store's version check turns an existing stream into a reload and RecordExistsException.
    private bool _loaded;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (Tenant, Id) = RecordIds.ParseGrainKey(this.GetPrimaryKeyString());
        StreamId = StreamIds.ForRecord(type, Id);
        State = new RecordState(type, Id);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Reads the stream if this activation has not yet, or again while the record was missing: a bulk create writes
    /// new streams without activating their grains, so "not there" is never cached.
    /// </summary>
    protected ValueTask EnsureLoadedAsync() => _loaded && State.Exists ? ValueTask.CompletedTask : new ValueTask(ReloadAsync());

    private async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        var events = await store.ReadStreamAsync(Tenant, StreamId, 1, int.MaxValue, cancellationToken);
        State = RecordState.Fold(type, Id, events);
        _loaded = true;
    }

    public Task<CrmRecord> CreateAsync(string fieldsJson, WriteOptions options) =>
        ExecuteAsync(options, optimistic: true, (batch, s) =>
        {
            Session.PlanCreate(batch, ParseObject(fieldsJson), s);
        });

    public Task<CrmRecord> UpdateAsync(string patchJson, WriteOptions options) =>
        ExecuteAsync(options, (batch, s) =>
        {
            EnsureLive();
            var plan = RecordChangePlanner.Plan(type, State.Fields, ParseObject(patchJson), s, isCreate: false, batch.Now);
            if (plan.IsEmpty) return;
            batch.Add(EventTypes.RecordUpdated, new JsonObject
            {
                ["changes"] = ToJson(plan.Changes),
                ["previous"] = ToJson(plan.Previous),
            });
            AddTransitionEvents(batch, plan, created: false, s);
        });

    public Task<CrmRecord> DeleteAsync(WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            EnsureLive();
            batch.Add(EventTypes.RecordDeleted, new JsonObject());
        });

    public Task<CrmRecord> RestoreAsync(WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            if (!State.Exists) throw new RecordNotFoundException(type, Id);
            if (State.MergedInto is { } survivor) throw new MergeRefusedException("id", $"The {type} '{Id}' was merged into '{survivor}' and cannot be restored.", survivor);
            if (State.Deleted) batch.Add(EventTypes.RecordRestored, new JsonObject());
        });

    public Task<CrmRecord> LinkAsync(RecordLink link, WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            EnsureLive();
            var errors = new List<FieldError>();
            if (!RecordTypes.IsKnown(link.TargetType)) errors.Add(new FieldError("targetType", $"must be one of: {string.Join(", ", RecordTypes.All)}"));
            else if (!LinkTargets.TryGetValue(type, out var allowed) || !allowed.Contains(link.TargetType))
            {
                errors.Add(new FieldError("targetType", LinkTargets.TryGetValue(type, out var ok)
                    ? $"a {type} links to: {string.Join(", ", ok)}"
                    : $"a {type} does not own links"));
            }
            if (!RecordIds.IsValid(link.TargetId)) errors.Add(new FieldError("targetId", "is not a valid record id"));
            if (link.Role is { Length: > 100 }) errors.Add(new FieldError("role", "must be at most 100 characters"));
            if (link.TargetType == type && link.TargetId == Id) errors.Add(new FieldError("targetId", "a record cannot link to itself"));
            if (errors.Count > 0) throw new ValidationException(errors);

            var existing = State.Links.FirstOrDefault(l => l.TargetType == link.TargetType && l.TargetId == link.TargetId);
            if (existing == link with { Role = string.IsNullOrWhiteSpace(link.Role) ? null : link.Role.Trim() }) return;
            if (existing is null && State.Links.Count >= MaxLinks) throw new ValidationException("links", $"a record can hold at most {MaxLinks} links");
            batch.Add(EventTypes.RecordLinked, new JsonObject
            {
                ["targetType"] = link.TargetType,
                ["targetId"] = link.TargetId,
                ["role"] = string.IsNullOrWhiteSpace(link.Role) ? null : link.Role.Trim(),
            });
        });

    public Task<CrmRecord> UnlinkAsync(string targetType, string targetId, WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            EnsureLive();
            if (State.Links.Any(l => l.TargetType == targetType && l.TargetId == targetId))
            {
                batch.Add(EventTypes.RecordUnlinked, new JsonObject { ["targetType"] = targetType, ["targetId"] = targetId });
            }
        });

    public async Task<CrmRecord?> GetAsync(DateTimeOffset? asOf)
    {
        await EnsureLoadedAsync();
        if (asOf is null)
        {
            // A missing record's activation stays until collected: deactivating it at once would bounce the lookups
            // queued behind this one.
            return State.Exists ? RecordProjection.ToRecord(State, await settings.GetAsync(Tenant)) : null;
        }

        var past = await StateAsOfAsync(asOf.Value);
        return past.Exists ? RecordProjection.ToRecord(past, await settings.GetAsync(Tenant, asOf)) : null;
    }

    public Task<CrmRecord> SetTimerAsync(RecordTimer timer, WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            EnsureLive();
            AddTimer(batch, timer);
        });

    public Task<CrmRecord> CancelTimerAsync(string name, WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            EnsureLive();
            AddTimerCancellation(batch, name);
        });

    public Task<CrmRecord> SetSegmentMembershipAsync(string segmentId, bool member, WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            if (!RecordIds.IsValid(segmentId)) throw new ValidationException("segmentId", "is not a valid record id");
            if (member == State.Segments.Contains(segmentId) || (member && (!State.Exists || State.Deleted))) return;
            batch.Add(member ? EventTypes.SegmentEntered : EventTypes.SegmentLeft, new JsonObject { ["segmentId"] = segmentId });
        });

    protected void AddTimer(EventBatch batch, RecordTimer timer) => Session.AddTimer(batch, timer);

    private void AddTimerCancellation(EventBatch batch, string name) => Session.AddTimerCancellation(batch, name);

    public async Task<IReadOnlyList<RecordTimer>> GetTimersAsync()
    {
        await EnsureLoadedAsync();
        return State.Timers.Values.OrderBy(t => t.DueAt).ThenBy(t => t.Name, StringComparer.Ordinal).ToArray();
    }

    public async Task<bool> FireTimerAsync(DurableTimer timer, LeaseFence fence)
    {
        try
        {
            await ExecuteAsync(new WriteOptions { Actor = Actor.System, CausationId = timer.TimerId }, (batch, s) =>
            {
                if (!State.Timers.TryGetValue(timer.Name, out var pending) || pending.DueAt != timer.DueAt) throw new TimerNotPendingException(timer.TimerId);
                batch.Add(EventTypes.TimerFired, new JsonObject
                {
                    ["name"] = timer.Name,
                    ["timerId"] = timer.TimerId,
                    ["dueAt"] = timer.DueAt,
                    ["payload"] = pending.PayloadJson is null ? null : JsonNode.Parse(pending.PayloadJson),
                });
                batch.FiresTimer = new TimerFiring(timer.Name, timer.DueAt);
                batch.Fence = fence;
                AddTimerFiredEvents(batch, pending, s);
            });
            return true;
        }
        catch (TimerNotPendingException)
        {
            return false;
        }
    }

    /// <summary>The record's state at a past time, folded from the stored stream.</summary>
    protected async Task<RecordState> StateAsOfAsync(DateTimeOffset asOf)
    {
        await EnsureLoadedAsync();
        if (asOf >= State.LastEventTime) return State;
        var events = await store.ReadStreamAsync(Tenant, StreamId, 1, int.MaxValue);
        return RecordState.Fold(type, Id, events, asOf);
    }

    /// <summary>Hook for type-specific events that accompany a change (stage and status transitions).</summary>
    protected virtual void AddTransitionEvents(EventBatch batch, RecordChangePlan plan, bool created, TenantSettings settings)
    {
    }

    /// <summary>Hook for type-specific events written in the append that fires <paramref name="timer"/> (a case's SLA clocks).</summary>
    protected virtual void AddTimerFiredEvents(EventBatch batch, RecordTimer timer, TenantSettings settings)
    {
    }

    protected void EnsureLive()
    {
        if (!State.Exists || State.Deleted) throw new RecordNotFoundException(type, Id);
    }

    /// <summary>
    /// Runs one command: checks the caller's expected version, lets <paramref name="decide"/> add events, folds them,
    /// and appends them with the read-model row. A conflict with another writer reloads and decides again.
    /// </summary>
    protected Task<CrmRecord> ExecuteAsync(WriteOptions options, Action<EventBatch, TenantSettings> decide) =>
        ExecuteAsync(options, optimistic: false, decide);

    /// <summary>
    /// Runs a command the engine makes of data already validated elsewhere (a merge's take-over): validate and
    /// enrich rules do not run on it, so no rule can leave such a process half done. React rules still hear it.
    /// </summary>
    protected Task<CrmRecord> ExecuteWithoutSyncRulesAsync(WriteOptions options, Action<EventBatch, TenantSettings> decide) =>
        ExecuteAsync(options, optimistic: false, decide, syncRules: false);

    private async Task<CrmRecord> ExecuteAsync(WriteOptions options, bool optimistic, Action<EventBatch, TenantSettings> decide, bool syncRules = true)
    {
        if (!optimistic) await EnsureLoadedAsync();
        var settingsRechecked = false;
        for (var attempt = 0; ; attempt++)
        {
            var blind = !_loaded;
            if (options.ExpectedVersion is { } expected && expected != State.Version)
            {
                throw new ConcurrencyConflictException(StreamId, expected, State.Version);
            }

            var tenantSettings = await settings.GetAsync(Tenant);
            var rules = await Rules.RulesAsync(Tenant);
            var now = time.GetUtcNow();
            if (now < State.LastEventTime) now = State.LastEventTime;
            var batch = new EventBatch(Tenant, StreamId, State.Version, now, options, Actor.System);
            try
            {
                decide(batch, tenantSettings);
            }
            catch (ValidationException) when (!settingsRechecked)
            {
                // A custom field or pipeline defined through another node a moment ago: check once against the store.
                settingsRechecked = true;
                if (await settings.RefreshIfBehindAsync(Tenant)) continue;
                throw;
            }

            if (batch.IsEmpty) return RecordProjection.ToRecord(State, tenantSettings);

            var expectedVersion = State.Version;
            var runRules = syncRules && rules.HasSyncRules(type);
            var before = runRules && State.Exists ? State.View(tenantSettings) : null;
            foreach (var e in batch.AsCommitted()) State.Apply(e);
            if (runRules)
            {
                try
                {
                    await RunSyncRulesAsync(batch, before, tenantSettings, rules, options);
                }
                catch
                {
                    await ReloadAsync();
                    throw;
                }
            }

            var record = RecordProjection.ToRecord(State, tenantSettings);
            try
            {
                await store.AppendAsync(new AppendRequest
                {
                    Tenant = Tenant,
                    StreamId = StreamId,
                    ExpectedVersion = expectedVersion,
                    Events = batch.Events,
                    Row = RecordProjection.ToRow(State, record),
                    ScheduleTimers = batch.ScheduleTimers,
                    CancelTimers = batch.CancelTimers,
                    FiresTimer = batch.FiresTimer,
                    Fence = batch.Fence,
                    EffectKey = options.EffectKey,
                });
                _loaded = true; // the append succeeded at the expected version, so State is exactly the stream
                return record;
            }
            catch (EffectAlreadyAppliedException)
            {
                // An earlier write with this key was applied: the caller gets the record as it is now.
                await ReloadAsync();
                return RecordProjection.ToRecord(State, await settings.GetAsync(Tenant));
            }
            catch (ConcurrencyConflictException) when ((blind || options.ExpectedVersion is null) && attempt < ConflictRetries)
            {
                if (!blind) logger.LogWarning("Stream {StreamId} of tenant {Tenant} was written by another activation; reloading", StreamId, Tenant);
                await ReloadAsync();
            }
            catch
            {
                await ReloadAsync();
                throw;
            }
        }
    }

    internal static JsonObject ParseObject(string json)
    {
        if (json.Length > RecordChangePlanner.MaxCommandLength)
        {
            throw new ValidationException("body", $"must be at most {RecordChangePlanner.MaxCommandLength} characters of JSON");
        }

        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new ValidationException("body", "must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new ValidationException("body", "is not valid JSON: " + ex.Message);
        }
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, JsonNode?> values) => RecordSession.ToJson(values);
}
