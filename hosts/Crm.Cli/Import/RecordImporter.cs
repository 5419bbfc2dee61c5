using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Crm.Cli.Targets;
using Crm.Engine;

namespace Crm.Cli.Import;

/// <summary>
/// Imports a CSV file through the engine's normal write path (validation, normalisation, rules, one append per record),
/// many records at a time so the store's group commit batches them. Rows of one identity (the same email, say) go to the
/// same lane in file order, so a later row updates what an earlier one created. A row the engine refuses is reported
/// with its line and reasons and never stops the others.
/// </summary>
internal sealed class RecordImporter(ICrmTarget target, int parallelism)
{
    private static readonly TimeSpan ReleaseEvery = TimeSpan.FromSeconds(2);

    /// <summary>Imports <paramref name="stream"/> as records of <paramref name="type"/>; <paramref name="map"/> holds <c>Header=field</c> pairs.</summary>
    public async Task<ImportOutcome> ImportAsync(string type, Stream stream, IReadOnlyList<string> map, ImportProgress progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var rows = new CsvRows(stream);
        var columns = ColumnMap.Build(type, rows.Headers, map, await target.CustomFieldsAsync(type, cancellationToken));
        if (columns.Columns.Count == 0)
        {
            throw new ImportSetupException($"No column of the file maps to a {type} field (columns: {string.Join(", ", rows.Headers)}). Name them with --map \"Header=field\".");
        }

        var rejects = new ConcurrentBag<RejectedRow>();
        long created = 0, updated = 0, unchanged = 0, blank = 0, total = 0;
        var lanes = Enumerable.Range(0, Math.Max(1, parallelism))
            .Select(_ => Channel.CreateBounded<(ImportRow Row, IReadOnlyList<string> Cells)>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true }))
            .ToArray();
        using var release = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var releasing = ReleaseIdleAsync(release.Token);
        var workers = lanes.Select(lane => Task.Run(async () =>
        {
            await foreach (var (row, cells) in lane.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    switch (await WriteAsync(type, row, cancellationToken))
                    {
                        case RowResult.Created: Interlocked.Increment(ref created); break;
                        case RowResult.Updated: Interlocked.Increment(ref updated); break;
                        default: Interlocked.Increment(ref unchanged); break;
                    }
                }
                catch (TargetWriteException ex)
                {
                    rejects.Add(new RejectedRow(row.Line, string.Join("; ", ex.Reasons), cells));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    rejects.Add(new RejectedRow(row.Line, ex.Message, cells));
                }

                progress.Done();
            }
        }, cancellationToken)).ToArray();

        try
        {
            foreach (var csv in rows.Read())
            {
                total++;
                progress.Read(rows.BytesRead);
                if (csv.Problem is not null)
                {
                    rejects.Add(new RejectedRow(csv.Line, csv.Problem, csv.Cells));
                    progress.Done();
                    continue;
                }

                if (csv.IsBlank)
                {
                    blank++;
                    progress.Done();
                    continue;
                }

                ImportRow row;
                try
                {
                    var fields = RowConverter.Fields(columns, csv.Cells);
                    var (id, key) = RowConverter.Identity(type, fields);
                    row = new ImportRow(csv.Line, id, key, fields);
                }
                catch (ValidationException ex)
                {
                    rejects.Add(new RejectedRow(csv.Line, string.Join("; ", ex.Errors.Select(e => $"{e.Field}: {e.Message}")), csv.Cells));
                    progress.Done();
                    continue;
                }

                var lane = lanes[(int)((uint)StringComparer.Ordinal.GetHashCode(row.Key) % (uint)lanes.Length)];
                await lane.Writer.WriteAsync((row, csv.Cells), cancellationToken);
            }
        }
        finally
        {
            foreach (var lane in lanes) lane.Writer.TryComplete();
            await Task.WhenAll(workers);
            await release.CancelAsync();
            await releasing;
        }

        return new ImportOutcome
        {
            Rows = total,
            Created = created,
            Updated = updated,
            Unchanged = unchanged,
            Blank = blank,
            Rejects = [.. rejects.OrderBy(r => r.Line)],
            IgnoredColumns = columns.Ignored,
            Columns = columns.Columns,
            Headers = rows.Headers,
            Elapsed = clock.Elapsed,
        };
    }

    private enum RowResult { Created, Updated, Unchanged }

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
