namespace Crm.Engine.Storage.Sqlite;

/// <summary>How hard SQLite syncs the write-ahead log to disk on commit.</summary>
public enum SqliteSynchronous
{
    /// <summary>Every commit is on disk before the append completes (survives power loss). The default.</summary>
    Full = 0,

    /// <summary>Commits survive a process crash but the last ones may be lost on power failure; faster.</summary>
    Normal = 1,
}

/// <summary>Options of the SQLite event store (configuration section <c>Crm:Storage:Sqlite</c>).</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Crm:Storage:Sqlite";

    /// <summary>Path of the database file; its directory is the data directory and holds the lock file.</summary>
    public string Path { get; set; } = System.IO.Path.Combine("data", "crm.db");

    /// <summary>Durability of a commit; <see cref="SqliteSynchronous.Full"/> unless you accept losing the last commits on power failure.</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>The most appends the writer commits in one transaction (group commit).</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// The most appends one transaction commits when bulk calls (<see cref="IEventStore.AppendManyAsync"/>, as an import
    /// makes) are queued: the writer joins queued bulk calls into one transaction up to this many appends. Each commit
    /// rewrites every page it changed, so fewer, larger commits of a bulk load write far less; a single append queued
    /// behind them waits for that transaction.
    /// </summary>
    public int MaxBulkBatchSize { get; set; } = 8192;

    /// <summary>
    /// How large the write-ahead log grows, in pages of 4 KiB, before the writer copies it into the database
    /// (a checkpoint, run inside the commit that crossed it). Larger means fewer, longer checkpoints: a page changed by
    /// many commits is copied once, but the commit that checkpoints waits longer. The default suits a server; a bulk
    /// load (the CLI's import on a data directory) uses 32768.
    /// </summary>
    public int CheckpointPages { get; set; } = 8192;

    /// <summary>How many read-only connections serve reads concurrently.</summary>
    public int ReadConnections { get; set; } = 4;

    /// <summary>How long a connection waits for a lock held by another connection before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the configuration path of the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException($"{SectionName}:{nameof(Path)} must name a database file.", nameof(Path));
        }

        if (!Enum.IsDefined(Synchronous))
        {
            throw new ArgumentException($"{SectionName}:{nameof(Synchronous)} must be Full or Normal.", nameof(Synchronous));
        }

        if (MaxBatchSize is < 1 or > 10_000)
        {
            throw new ArgumentException($"{SectionName}:{nameof(MaxBatchSize)} must be between 1 and 10000 (was {MaxBatchSize}).", nameof(MaxBatchSize));
        }

        if (MaxBulkBatchSize < MaxBatchSize || MaxBulkBatchSize > 100_000)
        {
            throw new ArgumentException(
                $"{SectionName}:{nameof(MaxBulkBatchSize)} must be between {nameof(MaxBatchSize)} ({MaxBatchSize}) and 100000 (was {MaxBulkBatchSize}).",
                nameof(MaxBulkBatchSize));
        }

        if (CheckpointPages is < 1_000 or > 262_144)
        {
            throw new ArgumentException($"{SectionName}:{nameof(CheckpointPages)} must be between 1000 and 262144 (was {CheckpointPages}).", nameof(CheckpointPages));
        }

        if (ReadConnections is < 1 or > 64)
        {
            throw new ArgumentException($"{SectionName}:{nameof(ReadConnections)} must be between 1 and 64 (was {ReadConnections}).", nameof(ReadConnections));
        }

        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"{SectionName}:{nameof(BusyTimeout)} must be between 0 and 10 minutes (was {BusyTimeout}).", nameof(BusyTimeout));
        }
    }
}
