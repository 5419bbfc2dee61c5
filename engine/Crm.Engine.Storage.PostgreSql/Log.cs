using Microsoft.Extensions.Logging;

namespace Crm.Engine.Storage.PostgreSql;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Applied event store schema migration {Version} to schema {Schema}")]
    public static partial void MigrationApplied(ILogger logger, int version, string schema);

    [LoggerMessage(2, LogLevel.Error, "A batch of {Count} appends failed; every append in it was rejected")]
    public static partial void BatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(3, LogLevel.Warning, "An append failed while its batch of {Count} was written; the batch is written again with a savepoint per append")]
    public static partial void BatchRewritten(ILogger logger, Exception exception, int count);

    [LoggerMessage(4, LogLevel.Debug, "Another writer changed a stream or key of a batch of {Count} appends after it was checked; the batch is written again with a savepoint per append")]
    public static partial void BatchLostRace(ILogger logger, int count);

    [LoggerMessage(5, LogLevel.Critical, "The event store writer failed unexpectedly; the appends of its batch were rejected")]
    public static partial void WriterFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Lost the connection listening for other nodes' commits; reconnecting (followers poll meanwhile)")]
    public static partial void ListenerLost(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "Could not notify other nodes of a commit; they will see it at their next poll")]
    public static partial void NotifyFailed(ILogger logger, Exception exception);
}
