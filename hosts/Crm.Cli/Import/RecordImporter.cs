using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Crm.Cli.Targets;
using Crm.Engine;

namespace Crm.Cli.Import;

/// <summary>
/// Imports a CSV file through the engine's write path (validation, normalisation, rules, one stream per record): rows
/// go in batches to the engine's bulk create, and the rows whose record exists then update it through its grain. Rows of one identity (the same email, say) are
/// merged first — later rows win — so each record is written once per run, and a re-run writes nothing that is already
/// there. A row the engine refuses is reported with its line and reasons and never stops the others.
/// </summary>
internal sealed class RecordImporter(ICrmTarget target, int parallelism)
{
    private static readonly TimeSpan ReleaseEvery = TimeSpan.FromSeconds(2);

    // Rows per bulk create, and how many rows of a batch that turn out to exist are updated at once.
    internal const int BatchSize = 1000;
    private const int FollowUps = 16;

    /// <summary>Imports the file <paramref name="open"/> opens (it is read twice) as records of <paramref name="type"/>; <paramref name="map"/> holds <c>Header=field</c> pairs.</summary>
    public async Task<ImportOutcome> ImportAsync(string type, Func<Stream> open, IReadOnlyList<string> map, ImportProgress progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var customFields = await target.CustomFieldsAsync(type, cancellationToken);
        var repeats = CountRepeats(type, open, map, customFields, cancellationToken);

        using var rows = new CsvRows(open());
        var columns = ColumnMap.Build(type, rows.Headers, map, customFields);
        var rejects = new ConcurrentBag<RejectedRow>();
        var pending = new Dictionary<UInt128, (ImportRow Row, List<long> Lines)>();
        long blank = 0, merged = 0, total = 0;
        var queue = Channel.CreateBounded<(ImportRow Row, IReadOnlyList<string> Cells)>(new BoundedChannelOptions(BatchSize * 2) { SingleWriter = true });
        using var release = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var releasing = ReleaseIdleAsync(release.Token);
        var counts = new Counts();
        var workers = Enumerable.Range(0, Math.Clamp(parallelism / 4, 1, 16)).Select(_ => Task.Run(async () =>
        {
            var batch = new List<(ImportRow Row, IReadOnlyList<string> Cells)>(BatchSize);
            while (await queue.Reader.WaitToReadAsync(cancellationToken))
            {
                while (batch.Count < BatchSize && queue.Reader.TryRead(out var item)) batch.Add(item);
                await WriteBatchAsync(type, batch, counts, rejects, progress, cancellationToken);
                batch.Clear();
            }
        }, cancellationToken)).ToArray();

        try
        {
            foreach (var csv in rows.Read())
            {
                total++;
                progress.Read(rows.BytesRead);
                var (row, problem) = Prepare(type, columns, csv);
                if (row is null)
                {
                    if (problem is null) blank++;
                    else rejects.Add(new RejectedRow(csv.Line, problem, csv.Cells));
                    progress.Done();
                    continue;
                }

                var hash = Hash(row.Key);
                if (repeats.TryGetValue(hash, out var left))
                {
                    // Rows of one record are merged (later values win) and written once, with the last of them.
                    if (pending.Remove(hash, out var earlier))
                    {
                        earlier.Lines.Add(earlier.Row.Line);
                        row = row with { Fields = Merge(earlier.Row.Fields, row.Fields), MergedLines = earlier.Lines };
                        merged++;
                    }

                    if (left > 1)
                    {
                        repeats[hash] = left - 1;
                        pending[hash] = (row, row.MergedLines as List<long> ?? []);
                        progress.Done();
                        continue;
                    }

                    repeats.Remove(hash);
                }

                await queue.Writer.WriteAsync((row, csv.Cells), cancellationToken);
            }
        }
        finally
        {
            queue.Writer.TryComplete();
            await Task.WhenAll(workers);
            await release.CancelAsync();
            await releasing;
        }

        return new ImportOutcome
        {
            Rows = total,
            Created = counts.Created,
            Updated = counts.Updated,
            Unchanged = counts.Unchanged,
            Merged = merged,
            Blank = blank,
            Rejects = [.. rejects.OrderBy(r => r.Line)],
            IgnoredColumns = columns.Ignored,
            Columns = columns.Columns,
            Headers = rows.Headers,
            Elapsed = clock.Elapsed,
        };
    }

    private enum RowResult { Created, Updated, Unchanged }

    private sealed class Counts
    {
        public long Created;
        public long Updated;
        public long Unchanged;

        public void Add(RowResult result)
        {
            switch (result)
            {
                case RowResult.Created: Interlocked.Increment(ref Created); break;
                case RowResult.Updated: Interlocked.Increment(ref Updated); break;
                default: Interlocked.Increment(ref Unchanged); break;
            }
        }
    }

    /// <summary>
    /// Writes a batch of rows: all of them as new records in one bulk create, then the rows whose record exists (by id,
    /// or holding the email) as updates of it, one at a time per record.
    /// </summary>
    private async Task WriteBatchAsync(string type, List<(ImportRow Row, IReadOnlyList<string> Cells)> batch, Counts counts,
        ConcurrentBag<RejectedRow> rejects, ImportProgress progress, CancellationToken cancellationToken)
    {
        IReadOnlyList<CreateOutcome>? outcomes = null;
        try
        {
            outcomes = await target.CreateManyAsync(type, [.. batch.Select(b => (b.Row.Id, b.Row.Fields))], cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The bulk call itself failed (a server too old for it, say): every row takes the one-by-one path.
        }

        // Created rows are done; only the others (updates, refusals) take the follow-up path.
        var followUps = new List<int>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes?[i] is { Record: not null })
            {
                counts.Add(RowResult.Created);
                progress.Done();
            }
            else
            {
                followUps.Add(i);
            }
        }

        await Parallel.ForEachAsync(followUps, new ParallelOptions { MaxDegreeOfParallelism = FollowUps, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var (row, cells) = batch[i];
                try
                {
                    counts.Add(outcomes is null ? await WriteAsync(type, row, ct) : await FollowUpAsync(type, row, outcomes[i], ct));
                }
                catch (TargetWriteException ex)
                {
                    rejects.Add(new RejectedRow(row.Line, Reason(string.Join("; ", ex.Reasons), row), cells));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    rejects.Add(new RejectedRow(row.Line, Reason(ex.Message, row), cells));
                }

                progress.Done();
            });
    }

    /// <summary>What a row's bulk create outcome leaves to do: nothing, an update of the record that exists, or a refusal.</summary>
    private async ValueTask<RowResult> FollowUpAsync(string type, ImportRow row, CreateOutcome outcome, CancellationToken cancellationToken) => outcome switch
    {
        { Record: not null } => RowResult.Created,
        { Error.Code: "exists" } => await UpdateAsync(type, row.Id, row.Fields, cancellationToken),
        // Another record holds the email or external id: that record is the one this row describes.
        { Error: { Code: "duplicate", ExistingId: { } holder } } => await UpdateAsync(type, holder, row.Fields, cancellationToken),
        _ => throw outcome.Error!,
    };

    /// <summary>A usable row, or null with the reason it is rejected (null for a blank row).</summary>
    private static (ImportRow? Row, string? Problem) Prepare(string type, ColumnMap columns, CsvRow csv)
    {
        if (csv.Problem is not null) return (null, csv.Problem);
        if (csv.IsBlank) return (null, null);
        try
        {
            var fields = RowConverter.Fields(columns, csv.Cells);
            var (id, key) = RowConverter.Identity(type, fields);
            return (new ImportRow(csv.Line, id, key, fields), null);
        }
        catch (ValidationException ex)
        {
            return (null, string.Join("; ", ex.Errors.Select(e => $"{e.Field}: {e.Message}")));
        }
    }

    /// <summary>First pass: which records have more than one row in the file, and how many.</summary>
    private static Dictionary<UInt128, int> CountRepeats(string type, Func<Stream> open, IReadOnlyList<string> map,
        IReadOnlyList<(string Name, string Type)> customFields, CancellationToken cancellationToken)
    {
        using var rows = new CsvRows(open());
        var columns = ColumnMap.Build(type, rows.Headers, map, customFields);
        if (columns.Columns.Count == 0)
        {
            throw new ImportSetupException($"No column of the file maps to a {type} field (columns: {string.Join(", ", rows.Headers)}). Name them with --map \"Header=field\".");
        }

        var counts = new Dictionary<UInt128, int>();
        foreach (var csv in rows.Read(onDemand: true))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (csv.Problem is not null || csv.IsBlank) continue;
            // Most rows are known by a column or two: only the others are converted whole to find their identity.
            var key = RowConverter.IdentityKey(type, columns, csv.Cells) ?? Prepare(type, columns, csv).Row?.Key;
            if (key is null) continue;
            ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, Hash(key), out _);
            count++;
        }

        foreach (var (hash, count) in counts)
        {
            if (count == 1) counts.Remove(hash);
        }

        return counts;
    }

    // 128 bits: a collision (two records' rows merged) is out of reach at any file size; the hash needs no secrecy.
    private static UInt128 Hash(string id)
    {
        var length = Encoding.UTF8.GetMaxByteCount(id.Length);
        Span<byte> utf8 = length <= 512 ? stackalloc byte[512] : new byte[length];
        return XxHash128.HashToUInt128(utf8[..Encoding.UTF8.GetBytes(id, utf8)]);
    }

    private static JsonObject Merge(JsonObject earlier, JsonObject later)
    {
        var result = (JsonObject)earlier.DeepClone();
        foreach (var (name, value) in later)
        {
            if (name == "custom" && value is JsonObject custom && result["custom"] is JsonObject existing)
            {
                foreach (var (field, v) in custom) existing[field] = v?.DeepClone();
            }
            else
            {
                result[name] = value?.DeepClone();
            }
        }

        return result;
    }

    private static string Reason(string reason, ImportRow row) =>
        row.MergedLines.Count == 0 ? reason : $"{reason} (merged with line {string.Join(", ", row.MergedLines)})";

    private async Task<RowResult> WriteAsync(string type, ImportRow row, CancellationToken cancellationToken)
    {
        try
        {
            await target.CreateAsync(type, row.Id, row.Fields, cancellationToken);
            return RowResult.Created;
        }
        catch (TargetWriteException ex) when (ex.Code == "exists")
        {
            return await UpdateAsync(type, row.Id, row.Fields, cancellationToken);
        }
        catch (TargetWriteException ex) when (ex.Code == "duplicate" && ex.ExistingId is { } holder)
        {
            // Another record holds the email or external id: that record is the one this row describes.
            return await UpdateAsync(type, holder, row.Fields, cancellationToken);
        }
    }

    private async Task<RowResult> UpdateAsync(string type, string id, JsonObject fields, CancellationToken cancellationToken)
    {
        var existing = await target.GetAsync(type, id, cancellationToken)
            ?? throw new TargetWriteException("not_found", $"The {type} {id} vanished during the import.", [$"the {type} {id} vanished during the import"]);
        if (existing.Deleted)
        {
            throw new TargetWriteException("deleted", $"matches the deleted {type} {id}", [$"matches the deleted {type} {id}; restore it first to import into it"]);
        }

        var after = await target.UpdateAsync(type, id, fields, cancellationToken);
        return after.Version == existing.Version ? RowResult.Unchanged : RowResult.Updated;
    }

    private async Task ReleaseIdleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ReleaseEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await target.ReleaseIdleRecordsAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The import is over.
        }
    }
}
