using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Grains;

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

internal sealed class SegmentGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<SegmentGrain> logger)
    : RecordGrain(RecordTypes.Segment, store, settings, time, logger), ISegmentGrain;
