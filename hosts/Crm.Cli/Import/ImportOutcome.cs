namespace Crm.Cli.Import;

/// <summary>A row the import did not write: the CSV line it starts on, why, and its cells as read.</summary>
internal sealed record RejectedRow(long Line, string Reason, IReadOnlyList<string> Cells);

/// <summary>What an import did, counted exactly.</summary>
internal sealed record ImportOutcome
{
    /// <summary>Rows after the header, blank ones included.</summary>
    public long Rows { get; init; }
    public long Created { get; init; }
    public long Updated { get; init; }

    /// <summary>Rows that matched a record holding the same values already (nothing was written).</summary>
    public long Unchanged { get; init; }
    public long Rejected => Rejects.Count;

    /// <summary>Rows merged into a later row of the same record (written once, with the last).</summary>
    public long Merged { get; init; }

    /// <summary>Empty rows, skipped.</summary>
    public long Blank { get; init; }
    public IReadOnlyList<RejectedRow> Rejects { get; init; } = [];

    /// <summary>Columns that map to no field.</summary>
    public IReadOnlyList<string> IgnoredColumns { get; init; } = [];

    /// <summary>The file's header row.</summary>
    public IReadOnlyList<string> Headers { get; init; } = [];

    /// <summary>Which column fills which field.</summary>
    public IReadOnlyList<MappedColumn> Columns { get; init; } = [];
    public TimeSpan Elapsed { get; init; }
}

/// <summary>Live counters of a running import, read by the progress display.</summary>
internal sealed class ImportProgress
{
    private long _rowsRead;
    private long _rowsDone;
    private long _bytesRead;

    /// <summary>The file's size in bytes (0 when unknown).</summary>
    public long TotalBytes { get; set; }

    public long RowsRead => Interlocked.Read(ref _rowsRead);
    public long RowsDone => Interlocked.Read(ref _rowsDone);
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Bytes of the file whose rows are done, estimated from the bytes read per row so far.</summary>
    public double BytesDone
    {
        get
        {
            var read = RowsRead;
            return read == 0 ? 0 : (double)BytesRead / read * RowsDone;
        }
    }

    internal void Read(long bytes)
    {
        Interlocked.Increment(ref _rowsRead);
        Interlocked.Exchange(ref _bytesRead, bytes);
    }

    internal void Done() => Interlocked.Increment(ref _rowsDone);
}
