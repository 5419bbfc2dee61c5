using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Storage;

namespace Crm.Engine.Grains;

/// <summary>
/// The steps of merging one contact into another. Progress is durable: <c>merge.started</c> on the merge stream
/// fixes the pair, every step is an append keyed by an effect key (and a no-op when already done), and
/// <c>merge.completed</c> stores the result, so running it again after a crash finishes the merge without doing
/// any step twice:
/// 1. every record linking to the merged contact (interactions, tasks, accounts, deals, cases) and every case whose
///    <c>contactId</c> names it points to the survivor instead;
/// 2. the merged contact is tombstoned with <c>record.mergedInto</c>, which also releases its unique emails;
/// 3. the survivor takes in its fields, tags, contact points, links and newer consent (<c>record.merged</c>).
/// </summary>
internal sealed class ContactMerge(IGrainFactory grains, IEventStore store, TimeProvider time, string tenant)
{
    private const int OwnerBatch = 500;

    /// <summary>Called with each step's name before it runs (lets tests interrupt a merge midway).</summary>
    internal Func<string, Task>? BeforeStep { get; init; }

    /// <summary>The merge stream of a contact merged into another.</summary>
    public static string StreamOf(string mergedId) => "merge/contact/" + mergedId;

    public async Task<MergeResult> RunAsync(string survivorId, string mergedId, WriteOptions options)
    {
        if (survivorId == mergedId) throw new ValidationException("mergeId", "a contact cannot be merged into itself");
        var stream = StreamOf(mergedId);
        var events = await store.ReadStreamAsync(tenant, stream);
        var started = events.FirstOrDefault(e => e.Type == EventTypes.MergeStarted);
        if (started is not null)
        {
            var into = JsonNode.Parse(started.PayloadJson)!["survivorId"]!.GetValue<string>();
            if (into != survivorId) throw new MergeRefusedException("mergeId", $"Contact '{mergedId}' is being merged into '{into}'.", into);
            if (events.FirstOrDefault(e => e.Type == EventTypes.MergeCompleted) is { } completed) return await ResultAsync(survivorId, mergedId, completed.PayloadJson);
        }
        else
        {
            await CheckAsync(survivorId, mergedId);
            await StepAsync("start");
            await AppendAsync(stream, 0, EventTypes.MergeStarted, new JsonObject { ["type"] = RecordTypes.Contact, ["survivorId"] = survivorId, ["mergedId"] = mergedId }, options);
        }

        var key = "merge:" + tenant + ":" + stream;
        var moved = await MoveReferencesAsync(survivorId, mergedId, key, options);
        await StepAsync("tombstone");
        await Contact(mergedId).MarkMergedAsync(survivorId, options with { EffectKey = key + ":tombstone" });
        await StepAsync("absorb");
        var summary = JsonNode.Parse(await Contact(survivorId).AbsorbMergedAsync(mergedId, options with { EffectKey = key + ":absorb" }))!.AsObject();
        await StepAsync("complete");
        summary["survivorId"] = survivorId;
        summary["moved"] = new JsonArray([.. moved.Select(m => (JsonNode)m)]);
        var version = (await store.ReadStreamAsync(tenant, stream)).Count;
        try
        {
            await AppendAsync(stream, version, EventTypes.MergeCompleted, summary, options);
        }
        catch (ConcurrencyConflictException)
        {
            // Another run finished it at the same moment; its result stands.
            var completed = (await store.ReadStreamAsync(tenant, stream)).First(e => e.Type == EventTypes.MergeCompleted);
            return await ResultAsync(survivorId, mergedId, completed.PayloadJson);
        }

        return await ResultAsync(survivorId, mergedId, summary.ToJsonString());
    }

    private async Task CheckAsync(string survivorId, string mergedId)
    {
        var survivor = await Contact(survivorId).GetAsync(null);
        if (survivor is { MergedInto: { } survivorTarget })
        {
            throw new MergeRefusedException("id", $"Contact '{survivorId}' was merged into '{survivorTarget}'; merge into that one instead.", survivorTarget);
        }

        if (survivor is null or { Deleted: true }) throw new RecordNotFoundException(RecordTypes.Contact, survivorId);
        var merged = await Contact(mergedId).GetAsync(null);
        if (merged is { MergedInto: { } target }) throw new MergeRefusedException("mergeId", $"Contact '{mergedId}' was merged into '{target}' already.", target);
        if (merged is null or { Deleted: true }) throw new ValidationException("mergeId", $"no contact with id '{mergedId}'");
    }

    // Records that link to the merged contact, and cases naming it as their contact, point to the survivor.
    private async Task<List<string>> MoveReferencesAsync(string survivorId, string mergedId, string key, WriteOptions options)
    {
        var target = StreamIds.ForRecord(RecordTypes.Contact, mergedId);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var moved = new List<string>();
        while (true)
        {
            var owners = (await store.ReadModel.LinkOwnersAsync(tenant, target, OwnerBatch)).Where(seen.Add).ToList();
            var cases = await store.ReadModel.QueryAsync(tenant, RecordTypes.Case, new RecordQuery { Filter = Filter.Eq("contactId", mergedId), Limit = OwnerBatch });
            owners.AddRange(cases.Items.Select(c => StreamIds.ForRecord(c.Type, c.Id)).Where(seen.Add));
            if (owners.Count == 0) return moved;
            foreach (var owner in owners)
            {
                var slash = owner.IndexOf('/');
                var grain = RecordGrainRouting.Get(grains, tenant, owner[..slash], owner[(slash + 1)..]);
                if (grain is null) continue;
                await StepAsync("move " + owner);
                try
                {
                    await grain.MoveReferencesAsync(RecordTypes.Contact, mergedId, survivorId, options with { EffectKey = key + ":move:" + owner });
                    moved.Add(owner);
                }
                catch (RecordNotFoundException)
                {
                    // A deleted record keeps its links as they were.
                }
            }
        }
    }

    private async Task<MergeResult> ResultAsync(string survivorId, string mergedId, string summaryJson)
    {
        var summary = JsonNode.Parse(summaryJson)!.AsObject();
        var survivor = await Contact(survivorId).GetAsync(null) ?? throw new RecordNotFoundException(RecordTypes.Contact, survivorId);
        return new MergeResult
        {
            Survivor = survivor,
            MergedId = mergedId,
            FilledFields = [.. (summary["filled"] as JsonArray ?? []).Select(n => n!.GetValue<string>())],
            Conflicts = [.. (summary["conflicts"] as JsonArray ?? []).Select(n => new MergeConflict(
                n!["field"]!.GetValue<string>(), n["kept"]?.GetValue<string>(), n["discarded"]?.GetValue<string>()))],
            Moved = [.. (summary["moved"] as JsonArray ?? []).Select(n => n!.GetValue<string>())],
            ConsentTaken = summary["consentTaken"]?.GetValue<int>() ?? 0,
        };
    }

    private Task AppendAsync(string stream, long expectedVersion, string type, JsonObject payload, WriteOptions options) =>
        store.AppendAsync(new AppendRequest
        {
            Tenant = tenant,
            StreamId = stream,
            ExpectedVersion = expectedVersion,
            Events =
            [
                new NewEvent
                {
                    EventId = Guid.CreateVersion7(time.GetUtcNow()),
                    Type = type,
                    SchemaVersion = EventTypes.CurrentSchemaVersion(type),
                    PayloadJson = payload.ToJsonString(),
                    Time = time.GetUtcNow(),
                    Actor = options.Actor ?? Actor.System,
                    CorrelationId = options.CorrelationId,
                    CausationId = options.CausationId,
                },
            ],
        });

    private Task StepAsync(string name) => BeforeStep?.Invoke(name) ?? Task.CompletedTask;

    private IContactGrain Contact(string id) => grains.GetGrain<IContactGrain>(RecordIds.GrainKey(tenant, id));
}

/// <summary>Runs a contact's merge one at a time, whichever node and caller asks.</summary>
internal sealed class ContactMergeGrain(IEventStore store, TimeProvider time) : Grain, IContactMergeGrain
{
    public Task<MergeResult> MergeAsync(string survivorId, WriteOptions options)
    {
        var (tenant, mergedId) = RecordIds.ParseGrainKey(this.GetPrimaryKeyString());
        return new ContactMerge(GrainFactory, store, time, tenant).RunAsync(survivorId, mergedId, options);
    }
}
