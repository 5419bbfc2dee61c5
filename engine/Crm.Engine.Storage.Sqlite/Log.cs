using Microsoft.Extensions.Logging;

namespace Crm.Engine.Storage.Sqlite;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Opened event store {Path} at schema version {SchemaVersion} (synchronous={Synchronous}, head position {Head})")]
    public static partial void Opened(ILogger logger, string path, int schemaVersion, string synchronous, long head);

    [LoggerMessage(2, LogLevel.Information, "Applied schema migration {SchemaVersion} to {Path}")]
    public static partial void MigrationApplied(ILogger logger, int schemaVersion, string path);

    [LoggerMessage(3, LogLevel.Error, "Commit of a batch of {Count} appends failed; every append in it was rejected")]
    public static partial void BatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(4, LogLevel.Critical, "The event store writer stopped unexpectedly; pending appends were rejected")]
    public static partial void WriterCrashed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "An append failed after it began writing; its batch of {Count} was written again with a savepoint per append")]
    public static partial void BatchRewritten(ILogger logger, Exception exception, int count);

    [LoggerMessage(5, LogLevel.Information, "Closed event store {Path} at head position {Head}")]
    public static partial void Closed(ILogger logger, string path, long head);
}
