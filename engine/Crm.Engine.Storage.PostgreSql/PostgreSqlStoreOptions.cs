using System.Text.RegularExpressions;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>Options of the PostgreSQL event store (configuration section <c>Crm:Storage:PostgreSql</c>).</summary>
public sealed partial class PostgreSqlStoreOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Crm:Storage:PostgreSql";

    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=crm;Username=crm;Password=…</c>.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The schema holding the store's tables; created if missing.</summary>
    public string Schema { get; set; } = "crm";

    /// <summary>
    /// How often a log follower waiting for new events reads the head when nothing woke it. Commits of this node and
    /// notifications of other nodes' commits wake it at once; the poll covers a notification lost while the listening
    /// connection was down, and a high-water mark held back by a transaction that is not an append.
    /// </summary>
    public TimeSpan CommitPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most appends one transaction commits (group commit).</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the configuration path of the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException($"{SectionName}:{nameof(ConnectionString)} must be set.", nameof(ConnectionString));
        }

        if (Schema is null || !SchemaName().IsMatch(Schema))
        {
            throw new ArgumentException(
                $"{SectionName}:{nameof(Schema)} '{Schema}' must be a lower-case identifier of letters, digits and underscores, up to 48 characters.",
                nameof(Schema));
        }

        if (CommitPollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{SectionName}:{nameof(CommitPollInterval)} must be positive.", nameof(CommitPollInterval));
        }

        if (MaxBatchSize is < 1 or > 10_000)
        {
            throw new ArgumentException($"{SectionName}:{nameof(MaxBatchSize)} must be between 1 and 10000.", nameof(MaxBatchSize));
        }
    }

    // Written into SQL as an identifier, so only this shape is accepted.
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,47}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
