using Crm.Engine.Domain;
using Crm.Engine.Rules;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Orleans.Concurrency;

namespace Crm.Engine.Grains;

/// <summary>
/// Bulk creates of new records: each row is planned by the same <see cref="RecordSession"/> code a record grain's
/// create runs (validation, normalisation, validate and enrich rules, the audit envelope), then every row's stream
/// is appended at version 0 in one <see cref="IEventStore.AppendManyAsync"/>, so the store writes them in a few shared
/// transactions. No record grain is activated. A row whose stream exists or whose email another record holds fails alone.
/// </summary>
// Reentrant: it keeps no state between calls, and a call waiting for its append must not keep the next batch from
// being planned, or the store's writer waits between batches.
[StatelessWorker]
[Reentrant]
internal sealed class RecordImportGrain(IEventStore store, TenantSettingsProvider settings, RulePipeline pipeline, TimeProvider time)
    : Grain, IRecordImportGrain
{
    /// <summary>The most rows one call takes.</summary>
    public const int MaxRows = 1000;

    private string Tenant => this.GetPrimaryKeyString();

    /// <summary>Whether rows of <paramref name="type"/> can be created in bulk; deals and cases plan stage and SLA events in their grains.</summary>
    public static bool Supports(string type) => RecordTypes.IsKnown(type) && type is not (RecordTypes.Deal or RecordTypes.Case);

    public async Task<IReadOnlyList<CreateResult>> CreateManyAsync(string type, IReadOnlyList<string> ids, IReadOnlyList<string> fieldsJson, WriteOptions options)
    {
        if (!Supports(type)) throw new ValidationException("type", $"a {type} cannot be created in bulk");
        if (ids.Count != fieldsJson.Count) throw new ValidationException("rows", "one id per row is required");
        if (ids.Count > MaxRows) throw new ValidationException("rows", $"at most {MaxRows} rows per call (got {ids.Count})");

        var results = new CreateResult[ids.Count];
        var requests = new List<AppendRequest>(ids.Count);
        var planned = new List<(int Index, CrmRecord Record)>(ids.Count);
        var tenantSettings = await settings.GetAsync(Tenant);
        var rules = await pipeline.RulesAsync(Tenant);
        var settingsRechecked = false;
        var now = time.GetUtcNow();
        for (var i = 0; i < ids.Count; i++)
        {
            try
            {
                RecordIds.EnsureValid(ids[i]);
                var (request, record) = await PlanAsync(type, ids[i], fieldsJson[i], tenantSettings, rules, now, options);
                requests.Add(request);
                planned.Add((i, record));
            }
            catch (CrmException ex)
            {
                if (ex is ValidationException && !settingsRechecked)
                {
                    // A custom field defined through another node a moment ago: check once against the store.
                    settingsRechecked = true;
                    if (await settings.RefreshIfBehindAsync(Tenant))
                    {
                        tenantSettings = await settings.GetAsync(Tenant);
                        i--;
                        continue;
                    }
                }

                results[i] = new CreateResult { Error = ex };
            }
        }

        // One call for all of them: the store writes them in a few shared transactions, each refused alone.
        var outcomes = await store.AppendManyAsync(requests);
        for (var j = 0; j < planned.Count; j++)
        {
            var (index, record) = planned[j];
            results[index] = outcomes[j].Error switch
            {
                null => new CreateResult { Record = record },
                ConcurrencyConflictException => new CreateResult { Error = new RecordExistsException(type, record.Id) },
                var error => new CreateResult { Error = error },
            };
        }

        return results;
    }

    /// <summary>Plans one create as the record grain does: the create's events, the sync rules, the row.</summary>
    private async Task<(AppendRequest Request, CrmRecord Record)> PlanAsync(string type, string id, string fieldsJson, TenantSettings s,
        TenantRuleSet rules, DateTimeOffset now, WriteOptions options)
    {
        RecordSession? session = null;
        // A new record's stream is empty: reading it again is starting from nothing.
        session = new RecordSession(type, id, () => pipeline)
        {
            Reload = () =>
            {
                session!.State = new RecordState(type, id);
                return Task.CompletedTask;
            },
        };
        var streamId = StreamIds.ForRecord(type, id);
        var batch = new EventBatch(Tenant, streamId, 0, now, options, Actor.System);
        session.PlanCreate(batch, RecordGrain.ParseObject(fieldsJson), s);
        foreach (var e in batch.AsCommitted()) session.State.Apply(e);
        if (rules.HasSyncRules(type)) await session.RunSyncRulesAsync(batch, null, s, rules, options);

        var record = RecordProjection.ToRecord(session.State, s);
        return (new AppendRequest
        {
            Tenant = Tenant,
            StreamId = streamId,
            ExpectedVersion = 0,
            Events = batch.Events,
            Row = RecordProjection.ToRow(session.State, record),
            ScheduleTimers = batch.ScheduleTimers,
            CancelTimers = batch.CancelTimers,
        }, record);
    }
}
