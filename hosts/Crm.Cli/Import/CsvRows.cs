using System.Collections.Concurrent;
using CsvHelper;

namespace Crm.Cli.Import;

/// <summary>A record of the CSV file: the line it starts on, its cells, or why it cannot be used.</summary>
internal sealed record CsvRow(long Line, IReadOnlyList<string> Cells, string? Problem)
{
    /// <summary>True for a row with nothing in it (only separators).</summary>
    public bool IsBlank => Problem is null && Cells.All(string.IsNullOrWhiteSpace);
}

/// <summary>
/// Reads a CSV file the way spreadsheets write them: a byte-order mark, quoted separators and line breaks, mixed
/// <c>\r\n</c>/<c>\n</c>/<c>\r</c> line endings, the separator guessed from the file (<c>,</c> <c>;</c> tab <c>|</c>),
/// empty lines skipped. Each row carries the line it starts on, so a rejected row can be found in the file; a row with
/// broken quoting or the wrong number of fields is handed on with its problem, never dropped silently.
/// </summary>
internal sealed class CsvRows : IDisposable
{
    private readonly CsvReader _reader;
    private readonly ConcurrentDictionary<long, string> _malformed = new();

    public CsvRows(Stream stream)
    {
        _reader = CsvReader.Create(stream, new CsvReaderOptions
        {
            TrackLineNumbers = true,
            SkipEmptyLines = true,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
            MalformedData = CsvMalformedDataHandling.Recover,
            OnMalformedRecord = record => _malformed.TryAdd(record.LineNumber, Describe(record.Reason)),
        });
        try
        {
            _reader.ReadHeader();
        }
        catch (CsvFormatException ex)
        {
            throw new ImportSetupException("The header row cannot be read as CSV: " + ex.Message);
        }

        Headers = [.. _reader.Headers.Select(h => h.Trim())];
        if (Headers.Count == 0 || Headers.All(string.IsNullOrWhiteSpace))
        {
            throw new ImportSetupException("The file has no header row: its first line must name the columns.");
        }
    }

    /// <summary>The header row's cells.</summary>
    public IReadOnlyList<string> Headers { get; }

    /// <summary>How far into the file the reader is, in bytes (for progress).</summary>
    public long BytesRead => _reader.ByteOffset;

    /// <summary>
    /// The rows after the header, one at a time. With <paramref name="onDemand"/>, a row's cells are read from the file
    /// only when asked for and are valid only until the next row: a pass that looks at a column or two (finding
    /// repeated records) then skips making strings of the rest.
    /// </summary>
    public IEnumerable<CsvRow> Read(bool onDemand = false)
    {
        var reused = onDemand ? new OnDemandCells(_reader) : null;
        while (_reader.Read())
        {
            var line = _reader.LineNumber;
            IReadOnlyList<string> cells;
            if (reused is not null)
            {
                reused.Start(_reader.FieldCount);
                cells = reused;
            }
            else
            {
                var read = new string[_reader.FieldCount];
                for (var i = 0; i < read.Length; i++) read[i] = _reader.GetString(i) ?? "";
                cells = read;
            }

            if (_malformed.TryRemove(line, out var problem))
            {
                yield return new CsvRow(line, cells, problem);
            }
            else if (cells.Count != Headers.Count && !cells.All(string.IsNullOrWhiteSpace))
            {
                yield return new CsvRow(line, cells, $"has {cells.Count} fields where the header has {Headers.Count}");
            }
            else
            {
                yield return new CsvRow(line, cells, null);
            }
        }
    }

    public void Dispose() => _reader.Dispose();

    /// <summary>The current row's cells, each read from the reader the first time it is asked for.</summary>
    private sealed class OnDemandCells(CsvReader reader) : IReadOnlyList<string>
    {
        private string?[] _cells = new string?[16];

        public int Count { get; private set; }

        public string this[int index] => (uint)index < (uint)Count
            ? _cells[index] ??= reader.GetString(index) ?? ""
            : throw new ArgumentOutOfRangeException(nameof(index));

        public void Start(int count)
        {
            if (_cells.Length < count) _cells = new string?[count];
            else Array.Clear(_cells, 0, count);
            Count = count;
        }

        public IEnumerator<string> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static string Describe(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.StrayQuote => "malformed CSV: a stray quote inside an unquoted field",
        CsvMalformedReason.TextAfterClosingQuote => "malformed CSV: text after the closing quote of a field",
        CsvMalformedReason.UnterminatedQuote => "malformed CSV: a quoted field is never closed",
        _ => "malformed CSV: " + reason,
    };
}
