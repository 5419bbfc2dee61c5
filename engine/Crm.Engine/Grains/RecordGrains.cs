using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Grains;

/// <summary>A deal: records each stage it enters, with the time.</summary>
internal sealed class DealGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<DealGrain> logger)
    : RecordGrain(RecordTypes.Deal, store, settings, time, logger), IDealGrain
{
    protected override void AddTransitionEvents(EventBatch batch, RecordChangePlan plan, bool created)
    {
        if (!created && !plan.Changes.ContainsKey("stage") && !plan.Changes.ContainsKey("pipeline")) return;
        batch.Add(EventTypes.DealStageChanged, new JsonObject
        {
            ["pipeline"] = plan.Next["pipeline"]?.DeepClone(),
            ["from"] = created ? null : State.Fields["stage"]?.DeepClone(),
            ["to"] = plan.Next["stage"]?.DeepClone(),
        });
    }
}

/// <summary>A support case: status transitions drive its first-response and resolution clocks.</summary>
internal sealed class CaseGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<CaseGrain> logger)
    : RecordGrain(RecordTypes.Case, store, settings, time, logger), ICaseGrain
{
    protected override void AddTransitionEvents(EventBatch batch, RecordChangePlan plan, bool created)
    {
        if (!created && !plan.Changes.ContainsKey("status")) return;
        batch.Add(EventTypes.CaseStatusChanged, new JsonObject
        {
            ["from"] = created ? null : State.Fields["status"]?.DeepClone(),
            ["to"] = plan.Next["status"]?.DeepClone(),
        });
    }

    public Task<CrmRecord> RecordResponseAsync(WriteOptions options) =>
        ExecuteAsync(options, (batch, _) =>
        {
            EnsureLive();
            if (State.FirstResponseAt is null) batch.Add(EventTypes.CaseResponded, new JsonObject());
        });
}

internal sealed class AccountGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<AccountGrain> logger)
    : RecordGrain(RecordTypes.Account, store, settings, time, logger), IAccountGrain;

internal sealed class InteractionGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<InteractionGrain> logger)
    : RecordGrain(RecordTypes.Interaction, store, settings, time, logger), IInteractionGrain;

internal sealed class TaskGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<TaskGrain> logger)
    : RecordGrain(RecordTypes.Task, store, settings, time, logger), ITaskGrain;

internal sealed class UserGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<UserGrain> logger)
    : RecordGrain(RecordTypes.User, store, settings, time, logger), IUserGrain;

internal sealed class TeamGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<TeamGrain> logger)
    : RecordGrain(RecordTypes.Team, store, settings, time, logger), ITeamGrain;

internal sealed class QueueGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<QueueGrain> logger)
    : RecordGrain(RecordTypes.Queue, store, settings, time, logger), IQueueGrain;
